"""kubemn: the Kubernetes networking model on one Linux machine, packet by packet."""
from setuptools import find_packages, setup

setup(
    name="kubemn",
    version="0.1.0",
    description="Emulates Kubernetes networking with Mininet, Open vSwitch and Ryu",
    packages=find_packages(include=["topo", "topo.*", "controllers", "controllers.*",
                                    "services", "services.*"]),
    package_data={"topo": ["default-cluster.yaml"]},
    python_requires=">=3.9",
    install_requires=["ryu", "eventlet", "PyYAML", "scapy"],
    entry_points={"console_scripts": ["kubemn = topo.main:main"]},
)

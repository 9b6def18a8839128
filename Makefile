# kubemn: make run-topology | make test | make unit | make clean
VENV   ?= .venv
PYTHON := $(VENV)/bin/python
# Extra arguments for `kubemn run`, e.g. make run-topology ARGS="--fabric racks:2"
ARGS   ?=
# Extra arguments for pytest, e.g. make test PYTEST_ARGS="-k cross_node"
PYTEST_ARGS ?=

# make bench FULL=1 runs the full-size scenarios and times make test.
FULL   ?=

# make lab-check LAB=3 checks lab 3's steps; without LAB, every lab.
LAB    ?=

# make conformance FOCUS='\[sig-network\] DNS' runs other e2e tests than sig-network's
# conformance and NetworkPolicy ones (SKIP: ginkgo's skip; PARALLEL: tests at once).
FOCUS  ?=
SKIP   ?=
PARALLEL ?=

.PHONY: deps lint run-topology test test-system-ovs test-servers unit integration bench \
        lab-check conformance clean

deps:
	@scripts/install-deps.sh

run-topology: deps
	$(PYTHON) -m topo.main run $(ARGS)

# The whole suite: the lint gate, unit tests of the pure logic, then the integration
# tests (real Mininet, Open vSwitch, Ryu and scapy; they need root).
test: deps lint
	$(PYTHON) -m pytest -p no:cacheprovider tests $(PYTEST_ARGS)

# The fallback: the datapath's tests on the system's Open vSwitch (Debian 12's 3.1.0,
# run by kubemn's own daemons), as where Debian 13's cannot be fetched.
test-system-ovs: deps
	KUBEMN_OVS=system $(PYTHON) -m pytest -p no:cacheprovider \
	  tests/integration/test_services.py tests/integration/test_own_vswitch.py $(PYTEST_ARGS)

# The model's integration tests (pod to pod, Services, NetworkPolicy, DNS) and a
# whole cluster's, with the nodes over 3 simulated servers (`kubemn servers up 3`:
# each its own namespaces, sshd and Open vSwitch, reached by ssh as another machine).
SERVER_TESTS = tests/integration/test_pod_network.py tests/integration/test_services.py \
               tests/integration/test_network_policy.py tests/integration/test_dns.py \
               tests/integration/test_servers_cluster.py
test-servers: deps
	KUBEMN_TEST_SERVERS=3 $(PYTHON) -m pytest -p no:cacheprovider $(SERVER_TESTS) $(PYTEST_ARGS)

unit: deps lint
	$(PYTHON) -m pytest -p no:cacheprovider tests/unit $(PYTEST_ARGS)

# pyflakes' and pycodestyle's checks over the whole tree (ruff.toml).
lint: deps
	$(VENV)/bin/ruff check .

integration: deps
	$(PYTHON) -m pytest -p no:cacheprovider tests/integration $(PYTEST_ARGS)

# Prints the benchmark table and writes it to docs/benchmarks.md.
bench: deps
	$(PYTHON) -m bench $(if $(FULL),--full,)

lab-check: deps
	$(PYTHON) -m labs.check $(LAB)

# Kubernetes v1.20.2's own e2e tests against a fresh cluster: builds e2e.test once
# (build/e2e, about 3 minutes), runs it, prints and keeps the table (README).
conformance: deps
	bash conformance/build.sh
	$(PYTHON) -m conformance $(if $(FOCUS),--focus '$(FOCUS)',) \
	  $(if $(SKIP),--skip '$(SKIP)',) $(if $(PARALLEL),--parallel $(PARALLEL),)

# Removes everything kubemn made (and nothing else); safe to run at any time.
clean:
	@if [ -x $(PYTHON) ]; then $(PYTHON) -m topo.main clean; \
	 else /usr/bin/python3 -m topo.main clean; fi

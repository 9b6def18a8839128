"""The image catalogue (topo/kubelet/images.py): what runs for an image, with
Kubernetes' rules for command and args over the image's ENTRYPOINT and CMD."""
import pytest

from topo.kubelet.images import (CATALOGUE, applet_overlays, container_argv, exec_argv,
                                 image_name, image_tag, known_image, stand_in,
                                 top_level_programs, uses_busybox)
from topo.plan.model import Container, ContainerPort

AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.39"


def runs(image, command=(), args=(), ports=()):
    """The argv without the interpreter: what a reader compares."""
    argv = container_argv(Container("c", image, tuple(command), tuple(args), ports=ports))
    return argv[2:] if argv[1:2] == ["-m"] else argv


@pytest.mark.parametrize("image,name,tag", [
    ("nginx", "nginx", "latest"), ("docker.io/library/nginx:1.25", "nginx", "1.25"),
    (AGNHOST, "e2e-test-images/agnhost", "2.39"),
    ("localhost:5000/busybox@sha256:abc", "busybox", "latest")])
def test_image_names_and_tags(image, name, tag):
    assert (image_name(image), image_tag(image)) == (name, tag)


def test_an_image_runs_its_entrypoint_and_cmd():
    assert runs("nginx:1.25") == ["services.apps.nginx", "nginx", "-g", "daemon off;"]
    assert runs("busybox") == ["sh"]
    assert runs(AGNHOST) == ["services.apps.agnhost", "pause"]
    assert runs("redis:7") == ["services.apps.redis", "redis-server"]
    # The pause image's process is kubemn's native pause, not an interpreter.
    assert container_argv(Container("c", "registry.k8s.io/pause:3.9"))[-1].endswith(
        "/build/native/pause")


def test_args_replace_the_cmd_and_keep_the_entrypoint():
    assert runs(AGNHOST, args=["netexec", "--http-port=9376"]) == [
        "services.apps.agnhost", "netexec", "--http-port=9376"]
    assert runs("hashicorp/http-echo", args=["-text=hi"]) == [
        "services.apps.samples", "http-echo", "-text=hi"]
    assert runs("busybox:1.28", args=["wget", "-qO-", "web"]) == ["wget", "-qO-", "web"]


def test_a_command_replaces_both_and_names_the_images_own_program():
    assert runs("busybox", ["sh", "-c"], ["echo hi"]) == ["sh", "-c", "echo hi"]
    # The e2e suite's /agnhost and the nginx image's nginx are the stand-ins' own.
    assert runs(AGNHOST, ["/agnhost", "serve-hostname", "--tcp", "--port", "80"]) == [
        "services.apps.agnhost", "serve-hostname", "--tcp", "--port", "80"]
    assert runs("nginx", ["nginx", "-g", "daemon off;"]) == [
        "services.apps.nginx", "nginx", "-g", "daemon off;"]
    assert runs("nginx", ["sleep", "9"]) == ["sleep", "9"]


def test_an_exec_of_the_images_own_program_runs_kubemns():
    agnhost = Container("c", AGNHOST)
    assert exec_argv(agnhost, ["/agnhost", "dns-suffix"])[-2:] == ["services.apps.agnhost",
                                                                   "dns-suffix"]
    assert exec_argv(agnhost, ["cat", "/etc/resolv.conf"]) == ["cat", "/etc/resolv.conf"]
    assert exec_argv(Container("c", "busybox"), ["/agnhost"]) == ["/agnhost"]


def test_only_programs_at_the_top_of_the_images_file_system_are_put_there():
    assert list(top_level_programs(Container("c", AGNHOST))) == ["/agnhost"]
    # pause has no shell to run /pause by its path: no file, no root of its own.
    assert top_level_programs(Container("c", "registry.k8s.io/pause:3.9")) == {}
    assert runs("registry.k8s.io/pause:3.9", ["/pause"])[-1].endswith("/build/native/pause")
    assert top_level_programs(Container("c", "nginx")) == {}   # /usr/sbin/nginx: not
    assert top_level_programs(Container("c", "busybox")) == {}


def test_the_tag_chooses_the_version_an_image_prints():
    assert runs("registry.k8s.io/echoserver:1.4")[-2:] == ["--tag", "1.4"]
    assert runs("us-docker.pkg.dev/google-samples/containers/gke/hello-app:2.0")[-2:] == [
        "--tag", "2.0"]


def test_an_image_kubemn_does_not_know_gets_a_stand_in_that_says_so():
    note = stand_in(Container("app", "example.com/team/app:1.0", ports=(ContainerPort(5000),)))
    assert note == ('kubemn does not know image "example.com/team/app:1.0": container app '
                    'runs netexec (an HTTP and UDP server) on 5000/TCP in its place')
    assert runs("example/app", ports=(ContainerPort(5000), ContainerPort(5001, "UDP"))) == [
        "services.apps.agnhost", "netexec", "--http-port", "5000", "--udp-port", "5001"]
    assert 'agnhost subcommand "guestbook"' in stand_in(Container("c", AGNHOST,
                                                               args=("guestbook",)))
    for known in (Container("c", "nginx"), Container("c", "busybox"),
                  Container("c", AGNHOST, args=("porter",)),
                  Container("c", "example/app", command=("run",))):
        assert stand_in(known) is None


def test_only_busybox_gets_its_applets():
    assert uses_busybox(Container("c", "docker.io/library/busybox:1.28"))
    assert not uses_busybox(Container("c", "alpine"))


def test_every_catalogue_entry_is_found_by_each_of_its_names():
    for entry in CATALOGUE:
        for name in entry.names:
            assert known_image("registry.example/%s:1.0" % name) is entry, name
        assert entry.ports and entry.ready and entry.runs


def test_busybox_before_1_28_4_gets_the_older_nslookup_and_every_busybox_its_wget():
    overlays = [applet_overlays(Container("c", image)) for image in (
        "busybox:1.28", "busybox:1.28.3", "gcr.io/google-containers/busybox",
        "radial/busyboxplus:curl", "busybox:1.28.4", "busybox", "busybox:1.36", "alpine:3.1")]
    assert [len(o) for o in overlays] == [2, 2, 2, 2, 1, 1, 1, 0]
    assert all(o[-1].endswith("busybox") for o in overlays if o)

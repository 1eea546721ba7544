"""The client's address: the connection's, unless it is a trusted proxy;
then X-Forwarded-For read from the right. A header from anyone else is
ignored, and the left end (what the client wrote) never wins on its own."""
import ipaddress

import pytest

from assistant.client_address import bucket, client_address, from_request
from assistant.config import ConfigError, Settings

PROXY = (ipaddress.ip_network("127.0.0.10"), ipaddress.ip_network("10.1.0.0/16"))


@pytest.mark.parametrize("peer, forwarded, expected", [
    ("127.0.0.2", [], "127.0.0.2"),
    ("127.0.0.2", ["127.0.0.99"], "127.0.0.2"),  # not a trusted proxy: the header is ignored
    ("127.0.0.10", [], "127.0.0.10"),  # a proxy with no header: the proxy itself
    ("127.0.0.10", ["203.0.113.5"], "203.0.113.5"),
    ("127.0.0.10", ["1.1.1.1, 203.0.113.5"], "203.0.113.5"),  # the client's own entry is left of the proxy's
    ("127.0.0.10", ["1.1.1.1", "203.0.113.5"], "203.0.113.5"),  # two headers: in order
    ("127.0.0.10", ["203.0.113.5, 10.1.2.3"], "203.0.113.5"),  # two proxies of ours
    ("127.0.0.10", ["garbage, 203.0.113.5:4711"], "203.0.113.5"),  # port dropped
    ("127.0.0.10", ["203.0.113.5, garbage"], "127.0.0.10"),  # the proxy wrote nothing usable
    ("127.0.0.10", ["[2001:db8::1]:443"], "2001:db8::1"),
    ("::ffff:127.0.0.2", [], "127.0.0.2"),
])
def test_client_address(peer, forwarded, expected):
    assert client_address(peer, forwarded, PROXY) == expected


def test_no_trusted_proxies_means_the_header_never_counts():
    assert client_address("127.0.0.1", ["198.51.100.1"], ()) == "127.0.0.1"


def test_gradio_requests_copied_as_dicts_are_read_too():
    class Copied:  # what gr.Request holds after the queue pickles it
        client = {"host": "127.0.0.10", "port": 1}
        headers = {"x-forwarded-for": "203.0.113.5"}

    assert from_request(Copied(), PROXY) == "203.0.113.5"
    assert from_request(None, PROXY) == ""


def test_ipv6_counts_by_its_64():
    assert bucket("2001:db8:1:2::5") == bucket("2001:db8:1:2:ffff::1") == "2001:db8:1:2::/64"
    assert bucket("127.0.0.2") == "127.0.0.2"


def test_the_setting_reads_addresses_and_networks(monkeypatch):
    monkeypatch.setenv("ASSISTANT_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/24 ,::1")
    assert Settings().trusted_proxies == (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.0.0.0/24"),
                                          ipaddress.ip_network("::1/128"))
    monkeypatch.setenv("ASSISTANT_TRUSTED_PROXIES", "nginx")
    with pytest.raises(ConfigError, match="ASSISTANT_TRUSTED_PROXIES 应为以逗号分隔的 IP 地址或网段"):
        Settings()

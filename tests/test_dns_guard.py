"""tests/dns_guard.py reads tcpdump's lines right: queries, not answers, every name (the registries' too: pip installs offline);
a packet seen on three interfaces counted once (lines as tcpdump 4.99 printed them here)."""

from dns_guard import queries_in

CAPTURE = """\
22:58:42.616831 veth7689760 P   IP 172.19.0.8.43925 > 10.255.255.53.53: 7724+ AAAA? redis-node-0. (30)
22:58:42.616840 br-ea0947477bdb In  IP 172.19.0.8.43925 > 10.255.255.53.53: 7724+ AAAA? redis-node-0. (30)
22:58:42.616862 eth0  Out IP 192.0.2.2.43925 > 10.255.255.53.53: 7724+ AAAA? redis-node-0. (30)
22:58:42.617393 eth0  In  IP 10.255.255.53.53 > 192.0.2.2.57384: 49457 NXDomain 0/0/0 (30)
22:50:33.992493 eth0  Out IP 192.0.2.2.46521 > 10.255.255.53.53: 27427+ [1au] A? api.nektosact.com. (46)
22:51:55.370359 eth0  Out IP 192.0.2.2.49345 > 10.255.255.53.53: 69+ A? pypi.org. (26)
22:51:56.271233 eth0  Out IP 192.0.2.2.41090 > 10.255.255.53.53: 7655+ A? files.pythonhosted.org. (40)
22:51:57.000000 eth0  Out IP 192.0.2.2.41091 > 10.255.255.53.53: 7656+ A? notpypi.org. (40)
22:51:58.271233 eth0  In  IP 10.255.255.53.53 > 192.0.2.2.41090: 7655 1/0/0 A 151.101.0.223 (56)
tcpdump: data link type LINUX_SLL2
"""


def test_every_query_counts_once():
    assert queries_in(CAPTURE.splitlines()) == [
        ("22:58:42", "redis-node-0"), ("22:50:33", "api.nektosact.com"), ("22:51:55", "pypi.org"),
        ("22:51:56", "files.pythonhosted.org"), ("22:51:57", "notpypi.org")]


def test_a_clean_capture_has_none():
    assert queries_in(["listening on any, link-type LINUX_SLL2", ""]) == []

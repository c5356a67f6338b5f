"""Command line of cxxdns: the CoreDNS flags, Corefile errors, default Corefile, pidfile,
clean exit on signals."""

import re
import signal

import pytest

from harness import (
    build_query, free_port, kdig, port_is_free, run_cxxdns, run_cxxdns_traced, udp_query,
    wait_until,
)

VERSION_LINE = "cxxdns-0.1.0"


def whoami_ok(res, name="example.org."):
    """The reply kdig got is a whoami answer for name from 127.0.0.1."""
    assert res.rcode == "NOERROR", res.raw
    assert res.answer == [], res.raw
    assert (name, 0, "IN", "A", "127.0.0.1") in res.additional, res.raw


# ---------------------------------------------------------------------------------------
# -version / -plugins
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("flag", ["-version", "--version"])
def test_version_prints_name_and_version_and_exits_0(cxxdns_binary, tmp_path, flag):
    proc = run_cxxdns([flag], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines and lines[0] == VERSION_LINE, proc.stdout


@pytest.mark.parametrize("flag", ["-plugins", "--plugins"])
def test_plugins_lists_the_builtin_plugins(cxxdns_binary, tmp_path, flag):
    proc = run_cxxdns([flag], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    for plugin in ("whoami", "log", "errors", "bind", "hosts"):
        assert f"  dns.{plugin}" in lines, f"dns.{plugin} missing from:\n{proc.stdout}"
    # nothing else is listed as a dns plugin that is not a known CoreDNS-style name
    for line in lines:
        if line.startswith("  dns."):
            assert re.fullmatch(r"  dns\.[a-z0-9_]+", line), line


def test_version_does_not_serve_even_with_a_corefile(cxxdns_binary, tmp_path):
    port = free_port()
    (tmp_path / "Corefile").write_text(f".:{port} {{\n    bind 127.0.0.1\n    whoami\n}}\n")
    proc = run_cxxdns(["-version", "-conf", "Corefile"], tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[0] == VERSION_LINE


# ---------------------------------------------------------------------------------------
# startup banner, -quiet, -conf / --conf
# ---------------------------------------------------------------------------------------

SIMPLE = """.:{PORT} {
    bind 127.0.0.1
    whoami
}
"""


def test_banner_lists_server_address_then_version(start_cxxdns):
    srv = start_cxxdns(SIMPLE)
    whoami_ok(srv.query("example.org"))
    assert srv.stop() == 0
    lines = [l.strip() for l in srv.stdout_text().splitlines()]
    addr = f".:{srv.port}"
    assert addr in lines, srv.stdout_text()
    assert VERSION_LINE in lines, srv.stdout_text()
    assert lines.index(addr) < lines.index(VERSION_LINE), srv.stdout_text()


def test_banner_lists_every_server_block(start_cxxdns):
    port2 = free_port()
    corefile = SIMPLE + f"""example.org:{port2} {{
    bind 127.0.0.1
    whoami
}}
"""
    srv = start_cxxdns(corefile)
    srv.wait_ready(port2)
    assert srv.stop() == 0
    out = srv.stdout_text()
    assert re.search(rf"^\.:{srv.port}$", out, re.M), out
    # CoreDNS prints the zone normalized with its trailing dot: example.org.:PORT
    assert re.search(rf"^example\.org\.?:{port2}$", out, re.M), out


def test_quiet_suppresses_the_banner(start_cxxdns):
    srv = start_cxxdns(SIMPLE, args=["-quiet"])
    whoami_ok(srv.query("example.org"))
    assert srv.stop() == 0
    out = srv.stdout_text()
    assert VERSION_LINE not in out, out
    assert f".:{srv.port}" not in out, out


def test_double_dash_conf_works(start_cxxdns):
    srv = start_cxxdns(SIMPLE, conf_flag="--conf")
    whoami_ok(srv.query("example.org"))


def test_conf_given_as_absolute_path(start_cxxdns, tmp_path):
    port = free_port()
    conf = tmp_path / "elsewhere" / "my.Corefile"
    conf.parent.mkdir()
    conf.write_text(SIMPLE.replace("{PORT}", str(port)))
    srv = start_cxxdns(None, port=port, args=["-conf", str(conf)])
    whoami_ok(srv.query("example.org"))


def test_corefile_in_cwd_is_used_without_conf_flag(start_cxxdns):
    # a hosts entry tells this Corefile apart from the built-in default (whoami)
    corefile = """.:{PORT} {
    bind 127.0.0.1
    hosts {
        10.1.1.1 from-cwd.example.
    }
}
"""
    srv = start_cxxdns(corefile, conf_arg=False)
    r = srv.query("from-cwd.example")
    assert r.rcode == "NOERROR"
    assert r.rdatas("A") == ["10.1.1.1"], r.raw


def test_default_corefile_serves_whoami_and_log_on_dns_port(start_cxxdns):
    """No -conf and no ./Corefile: CoreDNS serves `.:53 { whoami log }`, on -dns.port."""
    port = free_port()
    srv = start_cxxdns(None, port=port, args=["-dns.port", str(port)])
    assert not (srv.dir / "Corefile").exists()
    r = srv.query("default.example.")
    whoami_ok(r, "default.example.")
    srv.wait_for_log(r'^\[INFO\] 127\.0\.0\.1:\d+ - \d+ "A IN default\.example\. udp ')
    assert srv.stop() == 0
    assert re.search(rf"^\.:{port}$", srv.stdout_text(), re.M), srv.stdout_text()


def test_dns_port_applies_only_to_keys_without_a_port(start_cxxdns):
    port2 = free_port()
    port = free_port()
    corefile = f""". {{
    bind 127.0.0.1
    whoami
}}
example.org:{port2} {{
    bind 127.0.0.1
    hosts {{
        10.2.2.2 www.example.org.
    }}
}}
"""
    srv = start_cxxdns(corefile, port=port, args=["-dns.port", str(port)])
    srv.wait_ready(port2)
    whoami_ok(kdig("example.org", "A", port), "example.org.")
    r = kdig("www.example.org", "A", port2)
    assert r.rdatas("A") == ["10.2.2.2"], r.raw
    # the explicit port has only example.org: anything else there is REFUSED
    assert kdig("example.net", "A", port2).rcode == "REFUSED"


def test_workers_flag(start_cxxdns):
    srv = start_cxxdns(SIMPLE, workers=3)
    for i in range(20):
        whoami_ok(srv.query(f"w{i}.example.org", tcp=bool(i % 2)), f"w{i}.example.org.")


# ---------------------------------------------------------------------------------------
# pidfile and signals
# ---------------------------------------------------------------------------------------

def test_pidfile_holds_the_pid(start_cxxdns):
    srv = start_cxxdns(SIMPLE, args=["-pidfile", "cxxdns.pid"])
    pidfile = srv.dir / "cxxdns.pid"
    text = wait_until(lambda: pidfile.exists() and pidfile.read_text(), what="pidfile")
    assert text.strip() == str(srv.pid), repr(text)
    assert re.fullmatch(r"\d+\n?", text), repr(text)


def test_unwritable_pidfile_is_logged_and_the_server_runs(start_cxxdns):
    # CoreDNS logs the failure and serves on; it used to be ignored without a word.
    srv = start_cxxdns(SIMPLE, args=["-pidfile", "no-such-dir/cxxdns.pid"])
    srv.wait_for_log(r"^\[ERROR\] Could not write pidfile: open no-such-dir/cxxdns\.pid: "
                     r"no such file or directory$")
    whoami_ok(srv.query("example.org"))
    assert srv.stop() == 0


def test_sighup_is_ignored(start_cxxdns):
    # As CoreDNS: a hangup (the terminal or ssh session that started it went away) must not
    # end the server.
    srv = start_cxxdns(SIMPLE)
    for _ in range(3):
        srv.send_signal(signal.SIGHUP)
        whoami_ok(srv.query("example.org"))
    assert srv.alive()
    assert srv.stop() == 0, srv.output_report()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_cleanly_with_exit_0_and_frees_the_port(start_cxxdns, sig):
    srv = start_cxxdns(SIMPLE)
    whoami_ok(srv.query("example.org"))
    whoami_ok(srv.query("example.org", tcp=True))
    assert srv.stop(sig=sig) == 0, srv.output_report()
    wait_until(lambda: port_is_free(srv.port), what=f"port {srv.port} released")
    assert udp_query(build_query("example.org", "A"), srv.port, timeout=0.5) is None


# ---------------------------------------------------------------------------------------
# Corefile errors
# ---------------------------------------------------------------------------------------

def run_bad(tmp_path, corefile, ports, conf_arg="Corefile", extra_args=()):
    """Run cxxdns on a bad Corefile; check it exits non-zero without binding any of ports.
    Returns the CompletedProcess."""
    conf = tmp_path / "Corefile"
    conf.write_text(corefile)
    args = ["-conf", conf_arg] + list(extra_args)
    proc, bound = run_cxxdns_traced(args, tmp_path)
    if proc is None:  # no usable strace here: run it plainly
        proc = run_cxxdns(args, tmp_path)
    assert proc.returncode != 0, f"exit 0 on a bad Corefile\n{proc.stdout}\n{proc.stderr}"
    if bound is not None:
        assert not set(bound) & set(ports), f"bound {bound} before failing\n{proc.stderr}"
    for p in ports:
        assert port_is_free(p)
    return proc


TYPO = """.:{PORT} {
    bind 127.0.0.1
    cahce
    whoami
}
"""


def test_unknown_directive_names_file_line_and_token(tmp_path):
    port = free_port()
    proc = run_bad(tmp_path, TYPO.replace("{PORT}", str(port)), [port])
    assert "Corefile:3 - Error during parsing: Unknown directive 'cahce'" in proc.stderr, \
        proc.stderr


def test_error_message_uses_the_conf_path_as_given(tmp_path):
    port = free_port()
    conf = str(tmp_path / "Corefile")
    proc = run_bad(tmp_path, TYPO.replace("{PORT}", str(port)), [port], conf_arg=conf)
    assert f"{conf}:3 - Error during parsing: Unknown directive 'cahce'" in proc.stderr, \
        proc.stderr


def test_error_in_a_later_block_binds_nothing(tmp_path):
    """The first block is fine; the error is in the second: nothing may be bound at all."""
    p1, p2 = free_port(), free_port()
    corefile = f""".:{p1} {{
    bind 127.0.0.1
    whoami
}}

example.org:{p2} {{
    bind 127.0.0.1
    whoami
    nosuchplugin
}}
"""
    proc = run_bad(tmp_path, corefile, [p1, p2])
    assert "Corefile:9 - Error during parsing: Unknown directive 'nosuchplugin'" in proc.stderr, \
        proc.stderr


def test_same_zone_twice_on_one_port_is_an_error(tmp_path):
    port = free_port()
    corefile = f"""example.org:{port} {{
    bind 127.0.0.1
    whoami
}}
example.org:{port} {{
    bind 127.0.0.1
    whoami
}}
"""
    proc = run_bad(tmp_path, corefile, [port])
    assert proc.stderr.strip(), "no error message on stderr"


def test_same_zone_on_two_ports_is_fine(start_cxxdns):
    port2 = free_port()
    corefile = SIMPLE + f""".:{port2} {{
    bind 127.0.0.1
    whoami
}}
"""
    srv = start_cxxdns(corefile)
    srv.wait_ready(port2)
    whoami_ok(kdig("example.org", "A", port2))


def test_plugin_argument_error_is_prefixed_with_the_plugin(tmp_path):
    port = free_port()
    corefile = f""".:{port} {{
    bind 127.0.0.1
    whoami extra
}}
"""
    proc = run_bad(tmp_path, corefile, [port])
    assert re.search(r"plugin/whoami: Corefile:3 - Error during parsing: \S", proc.stderr), \
        proc.stderr


def test_hosts_bad_ttl_is_a_plugin_error(tmp_path):
    port = free_port()
    corefile = f""".:{port} {{
    bind 127.0.0.1
    hosts {{
        10.0.0.1 a.example.
        ttl notanumber
    }}
}}
"""
    proc = run_bad(tmp_path, corefile, [port])
    assert re.search(r"plugin/hosts: Corefile:5 - Error during parsing: \S", proc.stderr), \
        proc.stderr


def test_unclosed_block_is_a_parse_error(tmp_path):
    port = free_port()
    corefile = f""".:{port} {{
    bind 127.0.0.1
    whoami
"""
    proc = run_bad(tmp_path, corefile, [port])
    assert re.search(r"Corefile:\d+ - Error during parsing: \S", proc.stderr), proc.stderr


def test_missing_conf_file_is_an_error(tmp_path):
    proc = run_cxxdns(["-conf", "does-not-exist.Corefile", "-dns.port", str(free_port())],
                      tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert "does-not-exist.Corefile" in proc.stderr, proc.stderr


def test_unknown_flag_is_an_error(tmp_path):
    proc = run_cxxdns(["-no-such-flag"], tmp_path)
    assert proc.returncode != 0, proc.stdout
    assert proc.stderr.strip()

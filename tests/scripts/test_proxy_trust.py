"""Which hop the app trusts for the client's address and scheme."""

import re

import pytest

from tests.processes import ROOT

pytestmark = pytest.mark.security


def test_run_sh_daphne_ignores_forwarded_headers():
    # make run has no proxy in front: a client's own X-Forwarded-For must not be believed
    script = (ROOT / "scripts" / "run.sh").read_text()
    daphne = script[script.index(".venv/bin/daphne") :]
    assert "--proxy-headers" not in daphne


def test_nginx_overwrites_forwarded_for_with_the_peer_address():
    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    headers = dict(re.findall(r"proxy_set_header\s+(\S+)\s+(\S+);", conf))
    assert headers["X-Forwarded-For"] == "$remote_addr"
    assert headers["X-Forwarded-Proto"] == "$scheme"


def test_run_sh_makes_new_files_owner_only_but_static_public():
    script = (ROOT / "scripts" / "run.sh").read_text()
    umask = script.index("umask 077")
    assert umask < script.index("manage.py migrate")
    assert "(umask 022 && $PY manage.py collectstatic" in script

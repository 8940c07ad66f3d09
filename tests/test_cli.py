"""The ``gis`` command: help texts, and one clear line (never a traceback) on a bad environment."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from gis.cluster import free_port
from tests.conftest import GIS, shared_tmp, start_server

ROOT = Path(__file__).resolve().parent.parent


def run_gis(*args: str, env: dict[str, str] | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("GIS_")}
    return subprocess.run([GIS, *args], env={**clean, **(env or {})}, capture_output=True,
                          text=True, timeout=timeout)


def assert_one_error_line(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0
    out = (result.stdout + result.stderr).strip()
    assert "Traceback" not in out, out
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("args", [[], ["serve"], ["demo"], ["db", "upgrade"],
                                  ["config", "pygeoapi"]])
def test_every_command_explains_itself(args: list[str]) -> None:
    result = run_gis(*args, "--help")
    assert result.returncode == 0
    assert "Usage: gis" in result.stdout
    assert len(result.stdout.splitlines()) > 4


@pytest.mark.parametrize("args", [["ingest"], ["no-such-command"], ["export", "--nope"],
                                  # a range's ends (0 workers seeded nothing, 1,000 opened a
                                  # connection each; a limit of -1 listed nothing)
                                  ["tiles", "seed", "--workers", "0"],
                                  ["tiles", "seed", "--workers", "1000"],
                                  ["quality", "--limit", "-1"]])
def test_a_mistyped_command_gets_its_usage_and_exit_2(args: list[str], tmp_path: Path) -> None:
    """The README's words for a usage mistake: the usage line, a hint, ``Error: ...``, 2."""
    # (a data folder of the test's own: a command that did start would start its cluster there)
    result = run_gis(*args, env={"GIS_DATA_DIR": str(tmp_path / "data")})
    assert result.returncode == 2, result
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert lines[0].startswith("Usage: gis") and lines[-1].startswith("Error: "), lines
    assert "Traceback" not in result.stderr


def test_port_in_use_is_one_clear_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_gis("serve", "--port", str(port))
    assert_one_error_line(result, f"port {port}", "in use", "GIS_PORT")


@pytest.mark.parametrize(("env", "needle"), [
    ({"GIS_POOL__MAX_SIZE": "0"}, "GIS_POOL__MAX_SIZE: Input should be greater than or equal to 1"),
    ({"GIS_TILES__POOL_SIZE": "-1"}, "GIS_TILES__POOL_SIZE"),
    ({"GIS_TIMEOUTS__ITEMS_S": "-5"}, "GIS_TIMEOUTS__ITEMS_S: Input should be greater than 0"),
    ({"GIS_PORT": "70000"}, "GIS_PORT"),
    ({"GIS_PORT": "abc"}, "GIS_PORT: Input should be a valid integer"),
    ({"GIS_MAX_ITEMS": "0"}, "GIS_MAX_ITEMS"),
    ({"GIS_LIMITS__MAX_BODY_BYTES": "-1"}, "GIS_LIMITS__MAX_BODY_BYTES"),
    ({"GIS_CITY__TIME_ZONE": "Mars/Base"}, "GIS_CITY__TIME_ZONE: 'Mars/Base' is no IANA time zone"),
    ({"GIS_CITY__STORAGE_SRID": "99999"}, "GIS_CITY__STORAGE_SRID"),
    ({"GIS_CITY__EXTENT": "[1, 2, 3]"}, "GIS_CITY__EXTENT: too few values"),
    ({"GIS_CITY__EXTENT": "[3, 2, 1, 4]"}, "GIS_CITY__EXTENT: must be [min_easting"),
    ({"GIS_METRICS__ALLOW": '["intranet"]'}, "GIS_METRICS__ALLOW: 'intranet' is no network"),
    ({"GIS_AUTH__TOKENS": "{bad"}, "GIS_AUTH__TOKENS is not valid JSON"),
    ({"GIS_AUTH__TOKENS": '{"t": "vira:viewer"}'}, "GIS_AUTH__TOKENS: unknown role 'viewer'"),
    ({"GIS_LOG__FORMAT": "xml"}, "GIS_LOG__FORMAT: Input should be 'json' or 'logfmt'"),
    # libpq quoted a URL without its scheme whole, password included
    ({"GIS_DATABASE_URL": "gis:s3cret@127.0.0.1/city"}, "GIS_DATABASE_URL: must be a URL like"),
    ({"GIS_DATABASE_URL": "postgresql://gis:s3cret@127.0.0.1:99999/city"}, "GIS_DATABASE_URL"),
    ({"GIS_DATABASE__REPLICA_URLS": '["gis:s3cret@replica/city"]'},
     "GIS_DATABASE__REPLICA_URLS: must be a URL"),
])
def test_a_malformed_setting_is_refused_at_start_by_its_variable(
        env: dict[str, str], needle: str, tmp_path: Path) -> None:
    """Before anything starts (no cluster, no demo city), in the variable's name and without
    pydantic's own text: a pool of 0 or a time zone of Mars were Python's errors once the
    server was starting, a negative timeout or body limit was taken."""
    result = run_gis("serve", env={**env, "GIS_DATA_DIR": str(tmp_path / "data")}, timeout=60)
    line = assert_one_error_line(result, "invalid settings", needle)
    assert result.returncode == 3
    assert "pydantic" not in line and "type=" not in line and "Settings" not in line
    assert "s3cret" not in line
    assert not (tmp_path / "data" / "pg").exists()


def test_unreachable_database_url_is_one_clear_line_without_the_password() -> None:
    port = free_port()
    result = run_gis("serve", "--port", str(free_port()),
                     env={"GIS_DATABASE_URL": f"postgresql://gis:s3cret@127.0.0.1:{port}/city"})
    line = assert_one_error_line(result, "cannot connect to the database", f"127.0.0.1:{port}/city")
    assert "s3cret" not in line
    assert line.endswith("Connection refused"), line  # why, not libpq's hint after it


@pytest.mark.parametrize(("args", "needle"), [
    (["Olena", "--role", "planner"], "user name 'Olena' must be lower-case"),
    (["olena", "--role", "planer"], "unknown role 'planer'"),
    (["o" * 70, "--role", "planner"], "is 70 characters long; a user name has at most 63"),
    # a tab and a line break wrote a row of its own into `gis users list`: a fake admin
    (["olena", "--role", "planner", "--display-name", "Олена\nfake\tadmin"],
     "--display-name holds a control character"),
])
def test_a_user_that_cannot_be_added_is_refused_before_the_password_is_asked(
        args: list[str], needle: str) -> None:
    """A misspelt name or role was refused only after its password had been typed twice."""
    port = free_port()  # no database is reached: nothing is asked of one
    result = run_gis("users", "add", *args,
                     env={"GIS_DATABASE_URL": f"postgresql://gis:x@127.0.0.1:{port}/city"})
    assert "Password" not in result.stdout + result.stderr
    assert_one_error_line(result, needle)


def test_data_folder_owned_by_someone_else_is_one_clear_line() -> None:
    root = shared_tmp("hromada-owned-")
    try:
        data = root / "data"
        data.mkdir()
        nobody = pwd.getpwnam("nobody")
        os.chown(data, nobody.pw_uid, nobody.pw_gid)
        result = run_gis("serve", "--port", str(free_port()), env={"GIS_DATA_DIR": str(data)})
        assert_one_error_line(result, str(data), "owned by nobody", "GIS_DATA_DIR")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_missing_postgis_is_one_clear_line_with_the_install_command() -> None:
    root = shared_tmp("hromada-nopostgis-")
    try:
        bin_dir = root / "lib" / "15" / "bin"
        bin_dir.mkdir(parents=True)
        (root / "share" / "extension").mkdir(parents=True)
        for tool in ("initdb", "pg_ctl"):
            (bin_dir / tool).write_text("#!/bin/sh\nexit 1\n")
            (bin_dir / tool).chmod(0o755)
        (bin_dir / "pg_config").write_text(f"#!/bin/sh\necho {root / 'share'}\n")
        (bin_dir / "pg_config").chmod(0o755)
        result = run_gis("serve", "--port", str(free_port()),
                         env={"GIS_PG_BIN_DIR": str(bin_dir),
                              "GIS_DATA_DIR": str(root / "data")})
        assert_one_error_line(result, "PostGIS is not installed",
                              "apt-get install -y postgresql-15-postgis-3")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def test_bootstrap_without_root_names_the_exact_install_command() -> None:
    root = shared_tmp("hromada-bare-")
    try:
        (root / "lib" / "15" / "bin").mkdir(parents=True)
        initdb = root / "lib" / "15" / "bin" / "initdb"
        initdb.write_text("#!/bin/sh\n")
        initdb.chmod(0o755)
        (root / "share" / "15" / "extension").mkdir(parents=True)
        result = subprocess.run(
            ["runuser", "-u", "nobody", "--", "bash", str(ROOT / "scripts" / "bootstrap.sh")],
            env={"PATH": os.environ["PATH"], "GIS_PG_LIB": str(root / "lib"),
                 "GIS_PG_SHARE": str(root / "share")},
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines()[-1] == (
            "error: missing system packages: postgresql-15-postgis-3; install them with: "
            "sudo apt-get install -y postgresql-15-postgis-3")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def postmasters(data_dir: Path) -> list[str]:
    out = subprocess.run(["pgrep", "-f", f"postgres -D {data_dir}"], capture_output=True,
                         text=True).stdout
    return out.split()


def test_serve_embedded_lists_demo_counts_and_ctrl_c_stops_everything() -> None:
    root = shared_tmp("hromada-embedded-")
    data = root / "data"
    port = free_port()
    env = {"GIS_DATA_DIR": str(data)}
    try:
        proc = start_server(env, port, "--demo", "--scale", "0.01")
        doc = httpx.get(f"http://127.0.0.1:{port}/collections?f=json", timeout=30).json()
        counts = {c["id"]: c["numberMatched"] for c in doc["collections"]}
        for cid in ("addresses", "land_parcels", "advertising_structures",
                    "temporary_structures"):
            assert counts[cid] > 0, counts
        assert postmasters(data)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        out = proc.output()
        assert proc.returncode == 0, out
        assert "Traceback" not in out
        assert postmasters(data) == []
        assert "database system is shut down" in (data / "pg.log").read_text()

        # the second start reuses the cluster and does not load the demo again
        proc = start_server(env, port, "--demo", "--scale", "0.01")
        again = httpx.get(f"http://127.0.0.1:{port}/collections?f=json", timeout=30).json()
        assert {c["id"]: c["numberMatched"] for c in again["collections"]} == counts
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        assert proc.returncode == 0, proc.output()
        deadline = time.monotonic() + 5
        while postmasters(data) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert postmasters(data) == []
    finally:
        for pid in postmasters(data):
            os.kill(int(pid), signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)


def test_a_qgis_project_that_cannot_be_written_is_one_line_and_no_half_file(
        db_url: str, tmp_path: Path) -> None:
    """A missing folder was Python's FileNotFoundError and a full disk its OSError; the project
    is written to a temporary file renamed into place when complete."""
    env = {"GIS_DATABASE_URL": db_url}
    missing = tmp_path / "none" / "city.qgs"
    result = run_gis("qgis-project", "-o", str(missing), env=env)
    assert_one_error_line(result, f"the folder {missing.parent} does not exist")
    assert result.returncode == 2
    target = tmp_path / "проєкт міста.qgs"
    written = run_gis("qgis-project", "-o", str(target), env=env)
    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE qgis")
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


@pytest.mark.parametrize("scale", ["-1", "0", "nan", "inf", "1e9"])
@pytest.mark.parametrize("command", ["demo", "serve"])
def test_a_demo_scale_out_of_range_is_refused_before_anything_starts(
        command: str, scale: str, tmp_path: Path) -> None:
    """-1 and 0 were the generator's ValueError, nan its «min() iterable argument is empty»
    after the cluster started, and 1e9 generated until the machine gave out."""
    result = run_gis(command, f"--scale={scale}", env={"GIS_DATA_DIR": str(tmp_path / "d")},
                     timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"Invalid value for '--scale': '{scale}' must be above 0" in result.stderr
    assert "Traceback" not in result.stderr and not (tmp_path / "d").exists()


def test_the_service_entry_of_a_user_that_does_not_exist_says_so(db_url: str) -> None:
    """It said the user «has no database login (gis users password nosuch makes one)»."""
    result = run_gis("users", "service-entry", "nosuch", env={"GIS_DATABASE_URL": db_url})
    line = assert_one_error_line(result, "no user 'nosuch'")
    assert "password" not in line


def test_a_token_label_with_a_line_break_is_refused(db_url: str) -> None:
    """Its tab and line break made rows of their own in the tab-separated `gis tokens list`."""
    result = run_gis("tokens", "issue", "nosuch", "--label", "QGIS\n99\tboss\tfake",
                     env={"GIS_DATABASE_URL": db_url})
    assert_one_error_line(result, "--label holds a control character")

"""The server's class-data-sharing archive: the first start writes the class list, the next one
dumps the archive with the real JVM, every later one maps it; a failed dump is not retried."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from deploy_dsl.local.cds import class_data_options
from deploy_dsl.local.conductor import JVM_OPTIONS
from deploy_dsl.local.java import find_java


@pytest.fixture(scope="module")
def java() -> Path:
    return find_java(lambda line: None).path


def _jar(folder: Path) -> Path:
    # A jar with nothing but a manifest: enough for the JVM to take its class path.
    jar = folder / "app.jar"
    with zipfile.ZipFile(jar, "w") as archive:
        archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nMain-Class: App\n\n")
    return jar


def _options(java: Path, jar: Path, root: Path, said: list[str]) -> tuple[str, ...]:
    return class_data_options(
        java,
        jar,
        JVM_OPTIONS,
        cache_dir=root / "cache",
        state_dir=root / "state",
        progress=said.append,
    )


def _option(options: tuple[str, ...], name: str) -> Path:
    (only,) = options
    key, _, value = only.partition("=")
    assert key == f"-XX:{name}"
    return Path(value)


def test_first_start_lists_classes_next_dumps_then_maps(java: Path, tmp_path: Path) -> None:
    jar = _jar(tmp_path)
    said: list[str] = []
    listed = _option(_options(java, jar, tmp_path, said), "DumpLoadedClassList")
    assert listed.parent == tmp_path / "state" and not listed.exists()  # the JVM writes it
    # As a server killed mid-write leaves it: the last line cut short.
    listed.write_text("java/lang/Object id: 0\njava/lang/String id: 1\njava/lang/Stri", "utf-8")

    archive = _option(_options(java, jar, tmp_path, said), "SharedArchiveFile")
    assert archive.stat().st_size > 0
    assert archive.parent == tmp_path / "cache" / "cds"
    assert sorted(p.name for p in archive.parent.iterdir()) == [archive.name]
    assert list((tmp_path / "state").iterdir()) == []  # the lists are removed
    assert said == ["conductor: writing a class-data archive for faster starts (once)"]
    again = _options(java, jar, tmp_path, said)
    assert _option(again, "SharedArchiveFile") == archive
    assert len(said) == 1  # mapped, not dumped again


def test_another_jar_gets_its_own_archive(java: Path, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = _options(java, _jar(tmp_path / "a"), tmp_path, [])
    second = _options(java, _jar(tmp_path / "b"), tmp_path, [])
    assert first != second


def test_a_failed_dump_starts_without_an_archive_and_is_not_retried(
    java: Path, tmp_path: Path
) -> None:
    jar = tmp_path / "missing.jar"
    said: list[str] = []
    listed = _option(_options(java, jar, tmp_path, said), "DumpLoadedClassList")
    listed.write_text("java/lang/Object id: 0\n", "utf-8")
    assert _options(java, jar, tmp_path, said) == ()
    assert said[-1].startswith("conductor: no class-data archive (java -Xshare:dump exited ")
    assert _options(java, jar, tmp_path, said) == ()
    assert len(said) == 2  # announced and failed once

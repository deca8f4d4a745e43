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


def _option(options: tuple[str, ...], name: str) -> Path:
    (only,) = options
    key, _, value = only.partition("=")
    assert key == f"-XX:{name}"
    return Path(value)


def test_first_start_lists_classes_next_dumps_then_maps(java: Path, tmp_path: Path) -> None:
    jar, cache = _jar(tmp_path), tmp_path / "cache"
    said: list[str] = []
    listed = _option(
        class_data_options(java, jar, JVM_OPTIONS, cache, said.append), "DumpLoadedClassList"
    )
    assert listed.parent.is_dir() and not listed.exists()  # the JVM writes it
    # As a server killed mid-write leaves it: the last line cut short.
    listed.write_text("java/lang/Object id: 0\njava/lang/String id: 1\njava/lang/Stri", "utf-8")

    archive = _option(
        class_data_options(java, jar, JVM_OPTIONS, cache, said.append), "SharedArchiveFile"
    )
    assert archive.stat().st_size > 0
    assert sorted(p.name for p in archive.parent.iterdir()) == [archive.name]  # lists removed
    assert said == ["conductor: writing a class-data archive for faster starts (once)"]
    again = class_data_options(java, jar, JVM_OPTIONS, cache, said.append)
    assert _option(again, "SharedArchiveFile") == archive
    assert len(said) == 1  # mapped, not dumped again


def test_another_jar_gets_its_own_archive(java: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = class_data_options(java, _jar(tmp_path / "a"), JVM_OPTIONS, cache, print)
    second = class_data_options(java, _jar(tmp_path / "b"), JVM_OPTIONS, cache, print)
    assert first != second


def test_a_failed_dump_starts_without_an_archive_and_is_not_retried(
    java: Path, tmp_path: Path
) -> None:
    jar, cache = tmp_path / "missing.jar", tmp_path / "cache"
    said: list[str] = []
    listed = _option(
        class_data_options(java, jar, JVM_OPTIONS, cache, said.append), "DumpLoadedClassList"
    )
    listed.write_text("java/lang/Object id: 0\n", "utf-8")
    assert class_data_options(java, jar, JVM_OPTIONS, cache, said.append) == ()
    assert said[-1].startswith("conductor: no class-data archive (java -Xshare:dump exited ")
    assert class_data_options(java, jar, JVM_OPTIONS, cache, said.append) == ()
    assert len(said) == 2  # announced and failed once

"""The extension's frame: CMake lists every file Slicer must install, the catalog entry follows the
ExtensionsIndex schema, icon, licence and the Sample Data registration are what they claim."""
import hashlib
import json
import re
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[1]
MODULE_DIR = REPO / "OssificationDetector"
PACKAGES = ("OssificationDetectorLib", "OssificationDetectorGui", "OssificationDetectorTesting")


def cmake_set(text, variable):
    """The items of set(VARIABLE ...) in a CMakeLists.txt, ${MODULE_NAME} expanded."""
    match = re.search(r"set\(\s*" + variable + r"\s+(.*?)\)", text, re.S)
    assert match, f"no set({variable} ...)"
    body = re.sub(r"#[^\n]*", "", match.group(1))
    items = re.findall(r'"[^"]*"|\S+', body)
    return [item.strip('"').replace("${MODULE_NAME}", "OssificationDetector") for item in items]


def module_cmake():
    return (MODULE_DIR / "CMakeLists.txt").read_text(encoding="utf-8")


def bundled_registry():
    return json.loads((MODULE_DIR / "Resources" / "Models" / "models.json").read_text(encoding="utf-8"))["models"]


def top_cmake():
    return (REPO / "CMakeLists.txt").read_text(encoding="utf-8")


def test_cmake_lists_every_python_file_of_the_module():
    listed = set(cmake_set(module_cmake(), "MODULE_PYTHON_SCRIPTS"))
    on_disk = {"OssificationDetector.py"} | {
        str(path.relative_to(MODULE_DIR)) for package in PACKAGES for path in (MODULE_DIR / package).rglob("*.py")}
    assert not on_disk - listed, f"add to MODULE_PYTHON_SCRIPTS in OssificationDetector/CMakeLists.txt: " \
                                 f"{sorted(on_disk - listed)}"
    assert not listed - on_disk, f"listed in CMake but not on disk: {sorted(listed - on_disk)}"
    assert not [p for p in MODULE_DIR.glob("*.py") if p.name != "OssificationDetector.py"], \
        "Slicer takes every top-level .py of a module folder for a module: put helpers in a package"


def test_cmake_lists_every_resource():
    listed = set(cmake_set(module_cmake(), "MODULE_PYTHON_RESOURCES"))
    published = {f"Resources/Models/{m['file']}" for m in bundled_registry() if m.get("url")}  # downloaded
    on_disk = {str(p.relative_to(MODULE_DIR)) for p in (MODULE_DIR / "Resources").rglob("*")
               if p.is_file() and not p.name.startswith(".")} - published  # hidden: atomic writes' temporaries
    assert not on_disk - listed, f"add to MODULE_PYTHON_RESOURCES: {sorted(on_disk - listed)}"
    assert not listed - on_disk, f"listed in CMake but not on disk: {sorted(listed - on_disk)}"
    for required in ("Resources/UI/OssificationDetector.ui", "Resources/Icons/OssificationDetector.png"):
        assert required in listed


def test_module_cmake_builds_the_scripted_module_and_its_tests():
    text = module_cmake()
    assert re.search(r"slicerMacroBuildScriptedModule\(\s*NAME \$\{MODULE_NAME\}", text)
    assert "slicer_add_python_unittest(SCRIPT ${MODULE_NAME}.py)" in text
    assert "add_subdirectory(Testing)" in text
    testing = (MODULE_DIR / "Testing" / "Python" / "CMakeLists.txt").read_text(encoding="utf-8")
    scripts = re.findall(r"slicer_add_python_unittest\(\s*SCRIPT\s+(\S+?)\s*\)", testing)
    assert scripts, "Testing/Python registers no test"
    for script in scripts:
        source = (MODULE_DIR / "Testing" / "Python" / script).read_text(encoding="utf-8")
        assert re.search(r"class \w+\((unittest\.TestCase|ScriptedLoadableModuleTest)\)", source)


def test_top_level_cmake_is_an_extension():
    text = top_cmake()
    for line in ("project(OssificationDetector)", "find_package(Slicer REQUIRED)", "include(${Slicer_USE_FILE})",
                 "add_subdirectory(OssificationDetector)", "include(${Slicer_EXTENSION_GENERATE_CONFIG})",
                 "include(${Slicer_EXTENSION_CPACK})"):
        assert line in text, f"top-level CMakeLists.txt lacks {line}"
    for variable in ("EXTENSION_HOMEPAGE", "EXTENSION_CATEGORY", "EXTENSION_CONTRIBUTORS", "EXTENSION_DESCRIPTION",
                     "EXTENSION_ICONURL", "EXTENSION_SCREENSHOTURLS", "EXTENSION_DEPENDS"):
        assert cmake_set(text, variable), f"{variable} is empty"
    assert cmake_set(text, "EXTENSION_DEPENDS") == ["PyTorch"]


def raw_url_to_repo_path(url, homepage):
    raw = homepage.replace("https://github.com/", "https://raw.githubusercontent.com/") + "/main/"
    assert url.startswith(raw), f"{url} is not a file of {homepage}"
    return REPO / url[len(raw):]


def test_icon_is_128_pixels_and_is_the_extension_icon():
    homepage = cmake_set(top_cmake(), "EXTENSION_HOMEPAGE")[0]
    icon = raw_url_to_repo_path(cmake_set(top_cmake(), "EXTENSION_ICONURL")[0], homepage)
    assert icon == MODULE_DIR / "Resources" / "Icons" / "OssificationDetector.png"
    with Image.open(icon) as image:
        assert image.format == "PNG" and image.size == (128, 128)
        assert len(image.convert("RGB").getcolors(maxcolors=128 * 128)) > 20, "the icon is blank"


# The constraints of Slicer's Schemas/slicer-extension-catalog-entry-schema-v1.0.2.json.
CATALOG_SCHEMA = "https://raw.githubusercontent.com/Slicer/Slicer/main/Schemas/" \
                 "slicer-extension-catalog-entry-schema-v1.0.2.json#"
CATALOG_TYPES = {"$schema": str, "category": str, "scm_url": str, "scm_revision": str, "scm_type": str,
                 "build_dependencies": list, "dicom_support_rule": str, "build_subdirectory": str,
                 "enabled": bool, "tier": int}


def test_catalog_entry_follows_the_extensions_index_schema():
    entry = json.loads((REPO / "Resources" / "OssificationDetector.json").read_text(encoding="utf-8"))
    assert entry["$schema"] == CATALOG_SCHEMA
    assert {"$schema", "category", "scm_url"} <= set(entry)
    assert set(entry) <= set(CATALOG_TYPES), f"not in the schema: {set(entry) - set(CATALOG_TYPES)}"
    for key, value in entry.items():
        assert isinstance(value, CATALOG_TYPES[key]) and not (CATALOG_TYPES[key] is int and isinstance(value, bool))
    assert all(isinstance(d, str) for d in entry.get("build_dependencies", []))
    assert entry.get("scm_type", "git") in ("git", "local")
    assert 1 <= entry.get("tier", 1) <= 5
    top = top_cmake()
    assert entry["scm_url"] == cmake_set(top, "EXTENSION_HOMEPAGE")[0]
    assert entry["category"] == cmake_set(top, "EXTENSION_CATEGORY")[0]
    assert entry["build_dependencies"] == cmake_set(top, "EXTENSION_DEPENDS")


def test_licence_is_apache_2():
    text = (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in text and "Version 2.0, January 2004" in text and "END OF TERMS AND CONDITIONS" in text
    assert 'license = "Apache-2.0"' in (REPO / "pyproject.toml").read_text(encoding="utf-8")


def test_sample_data_points_at_the_repository_file_with_its_sha256():
    from OssificationDetectorGui import sample_data

    assert sample_data.HOMEPAGE == cmake_set(top_cmake(), "EXTENSION_HOMEPAGE")[0]
    path = raw_url_to_repo_path(sample_data.URL, sample_data.HOMEPAGE)
    assert path == REPO / sample_data.REPOSITORY_PATH and path.is_file()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sample_data.SHA256
    assert Path(sample_data.THUMBNAIL).is_file()
    with Image.open(sample_data.THUMBNAIL) as thumbnail:
        assert thumbnail.size == (260, 280)

"""The stratified validation of koitka-240 and dha-landmarks: the rule, and the ids it gives on the
shared data (written down in validation_split.py, so a change to the rule or the data shows here)."""
import pytest

from OssificationDetectorLib.evaluation.heldout import OSSIFICATION_HELD_OUT
from OssificationDetectorLib.evaluation.validation_split import (
    BANDS, DEFAULT_MODEL_TRAINED, DHA_VALIDATION, KOITKA_VALIDATION, age_band, dha_rule, evenly_spaced,
    koitka_rule, koitka_strata, koitka_validation_ids, never_train_ids, read_manifest,
)

from conftest import SHARED

KOITKA = SHARED / "data" / "koitka-240"
DHA = SHARED / "data" / "dha-landmarks"
YOUNG = SHARED / "data" / "young-rsna"


def _manifest(folder):
    if not (folder / "manifest.json").is_file():
        pytest.skip(f"{folder} not found (optional shared data)")
    return read_manifest(folder)


def test_age_bands_and_even_spacing():
    assert [age_band(m) for m in (0, 47, 48, 120, 121)] == [BANDS[0], BANDS[0], BANDS[1], BANDS[1], BANDS[2]]
    assert evenly_spaced(list(range(10)), 3) == [1, 5, 8]
    assert evenly_spaced([1, 2], 5) == [1, 2]


def test_rule_keeps_held_out_and_leaves_out_trained_ids():
    manifest = ([{"id": str(100 + i), "boneage_months": 20} for i in range(6)]
                + [{"id": "4298", "boneage_months": 42}, {"id": "4276", "boneage_months": 24}]
                + [{"id": str(200 + i), "boneage_months": 60 + i} for i in range(8)]
                + [{"id": str(300 + i), "boneage_months": 150} for i in range(4)])
    split = koitka_rule(manifest, sizes={BANDS[0]: 3, BANDS[1]: 4, BANDS[2]: 10})
    assert "4298" in split[BANDS[0]] and "4276" not in split[BANDS[0]] and len(split[BANDS[0]]) == 3
    assert split[BANDS[1]] == ("201", "203", "205", "207")
    assert split[BANDS[2]] == ("300", "301", "302", "303")


def test_koitka_split_is_the_written_one():
    manifest = _manifest(KOITKA)
    split = koitka_rule(manifest)
    assert split == KOITKA_VALIDATION
    ids = koitka_validation_ids()
    assert len(ids) >= 40 and len(split[BANDS[0]]) == 10
    # The radiographs today's default model was trained on are out; the 5 held out there are in.
    assert not ids & set(DEFAULT_MODEL_TRAINED) and set(OSSIFICATION_HELD_OUT) <= ids
    assert set(koitka_strata(manifest)) == ids
    assert all(age_band(e["boneage_months"]) == koitka_strata(manifest)[e["id"]]
               for e in manifest if e["id"] in ids)


def test_dha_split_is_the_written_one():
    assert dha_rule(_manifest(DHA)) == DHA_VALIDATION and len(DHA_VALIDATION) >= 15


def test_never_train_ids_reach_every_folder_of_a_radiograph():
    young = {e["id"] for e in _manifest(YOUNG)}
    never = never_train_ids(["1548"])
    # 4332 is a koitka validation image, also in young-rsna: it must not be pseudo-labelled there.
    assert "4332" in never["rsna"] and "4332" in young and "1548" in never["rsna"]
    assert set(OSSIFICATION_HELD_OUT) <= never["rsna"] and never["dha"] == frozenset(DHA_VALIDATION)

"""The stratified validation: radiographs of koitka-240 and dha-landmarks kept out of all training and
pseudo-labelling, beside the RSNA folder's held-out parts (heldout.py).

Fixed before any training on these sources, by a rule over the manifests (`koitka_rule`, `dha_rule`);
the resulting ids are written down here so that the split is known without the data, and the tests
check that the rule still gives them.

koitka-240, by bone age (manifest boneage_months): under 4 years (< 48 months), 4-10 (48-120), over
10 (> 120). Its ids are RSNA ids, and 20 of them are the RSNA folder's ossification-area radiographs:
- the 15 of those the default model was trained on are never in this validation (the comparison
  with that model would be unfair), and may be trained on;
- the 5 held out there (OSSIFICATION_HELD_OUT) are always in it, in their age band;
- each band is then filled to its size (KOITKA_BAND_SIZES) with evenly spaced ids of the rest of the
  band in numeric order: the i-th of n picks is index floor((i + 0.5) * len / n).
A koitka id held out here is held out in every folder that has that radiograph (halfres/, young-rsna).
dha-landmarks: ids in numeric order, index % DHA_HOLD_OUT_EVERY == 0.
"""
import json
from pathlib import Path

from ..annotations.datasets import DatasetError
from .heldout import OSSIFICATION_HELD_OUT, numeric_order
from .strata import BANDS, age_band

KOITKA_BAND_SIZES = {"under 4 years": 10, "4-10 years": 15, "over 10 years": 15}
DHA_HOLD_OUT_EVERY = 8
# The RSNA folder's ossification-area radiographs that the bundled default model was trained on.
DEFAULT_MODEL_TRAINED = ("4216", "4218", "4223", "4227", "4248", "4276", "4280", "4299", "4339", "6411",
                         "6428", "6449", "6456", "6473", "6478")

# What koitka_rule and dha_rule give on ../shared/data (checked by the tests).
KOITKA_VALIDATION = {
    "under 4 years": ("4217", "4222", "4244", "4260", "4298", "4325", "4332", "4346", "6453", "6498"),
    "4-10 years": ("4210", "4235", "4245", "4284", "4308", "4327", "4354", "6402", "6417", "6425", "6432",
                   "6443", "6470", "6476", "6488"),
    "over 10 years": ("4208", "4221", "4232", "4253", "4256", "4273", "4294", "4312", "4330", "4355", "6418",
                      "6435", "6446", "6465", "6489"),
}
DHA_VALIDATION = ("3143", "3151", "3161", "3171", "3183", "3191", "3210", "3224", "3239", "3256", "3270",
                  "3279", "3297", "3715", "3759", "3774", "3821")


def evenly_spaced(ids, count):
    """count ids of a list, evenly spaced: the i-th is index floor((i + 0.5) * len / count)."""
    if count >= len(ids):
        return list(ids)
    return [ids[int((i + 0.5) * len(ids) / count)] for i in range(count)]


def read_manifest(folder):
    """The manifest.json list of a data folder (koitka-240, dha-landmarks, young-rsna)."""
    path = Path(folder) / "manifest.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise DatasetError(f"{path} is not a readable manifest ({error}): give the data folder itself.") from None


def koitka_rule(manifest, sizes=KOITKA_BAND_SIZES, held_out=OSSIFICATION_HELD_OUT,
                trained=DEFAULT_MODEL_TRAINED):
    """{band: ids} of the koitka validation (see the module's docstring) from its manifest list."""
    bands = {band: [] for band in BANDS}
    for entry in manifest:
        bands[age_band(entry["boneage_months"])].append(str(entry["id"]))
    split = {}
    for band, ids in bands.items():
        forced = [i for i in ids if i in held_out]
        rest = [i for i in numeric_order(ids) if i not in held_out and i not in trained]
        split[band] = tuple(numeric_order(forced + evenly_spaced(rest, sizes[band] - len(forced))))
    return split


def dha_rule(manifest, every=DHA_HOLD_OUT_EVERY):
    """The dha-landmarks validation ids from its manifest list."""
    return tuple(i for k, i in enumerate(numeric_order(str(e["id"]) for e in manifest)) if k % every == 0)


def koitka_validation_ids():
    return frozenset(i for ids in KOITKA_VALIDATION.values() for i in ids)


def never_train_ids(rsna_held_out=()):
    """{"rsna": ids, "dha": ids} never to train or pseudo-label on: the koitka validation and the RSNA
    folder's held-out ids given (heldout.rsna_split(...).held_out; the 5 ossification ones always).
    RSNA ids name the same radiograph in rsna-bone-age, koitka-240 (and halfres/) and young-rsna."""
    rsna = koitka_validation_ids() | set(OSSIFICATION_HELD_OUT) | set(rsna_held_out)
    return {"rsna": frozenset(rsna), "dha": frozenset(DHA_VALIDATION)}


def koitka_strata(manifest):
    """{id: age band} of every koitka validation radiograph present in a manifest list."""
    held = koitka_validation_ids()
    return {str(e["id"]): age_band(e["boneage_months"]) for e in manifest if str(e["id"]) in held}

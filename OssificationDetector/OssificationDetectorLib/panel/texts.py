"""The panel's translation function: Slicer's own inside the Slicer application, the text as it is
elsewhere (slicer-core has no slicer.i18n, and Slicer 5.10's needs slicer.app for every text)."""
try:
    from slicer import app  # noqa: F401  (only the Slicer application has translations)
    from slicer.i18n import tr
except ImportError:
    def tr(text):
        return text

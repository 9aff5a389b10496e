"""The panel's translation function: Slicer's own inside Slicer, the text as it is elsewhere
(slicer-core has no slicer.i18n)."""
try:
    from slicer.i18n import tr
except ImportError:
    def tr(text):
        return text

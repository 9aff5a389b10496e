"""The Export to DICOM section: the reviewed ROIs of the current radiograph as a DICOM SR (TID 1500) and
a presentation state, into Slicer's DICOM database (from where the DICOM module sends them to a PACS);
and, when a radiograph comes from DICOM, an offer to show the reports of it already in the database.

Widgets are built here; every decision is in OssificationDetectorLib.mrml.dicom_export (tested on a
real scene). Only the DICOM database calls and the dialogs are Slicer's own.
"""
import os
import shutil
import tempfile

import ctk
import qt
import slicer
from slicer.i18n import tr as _

from OssificationDetectorLib.dicom_results.highdicom_support import HighdicomStatus
from OssificationDetectorLib.mrml import dicom_export


class DicomExportSection:
    """parentLayout: where the collapsible section goes; logic: the module's Logic (dicomFile(volume));
    parameters() -> the parameter node (inputVolume)."""

    def __init__(self, parentLayout, logic, parameters):
        self.logic, self.parameters = logic, parameters
        self.offeredVolumes = set()
        box = ctk.ctkCollapsibleButton()
        box.text = _("Export to DICOM")
        box.collapsed = True
        parentLayout.addWidget(box)
        form = qt.QFormLayout(box)
        self.gspsCheckBox = qt.QCheckBox(_("Also a presentation state (boxes drawn for any DICOM viewer)"))
        self.gspsCheckBox.checked = True
        self.rejectedCheckBox = qt.QCheckBox(_("Include rejected areas"))
        self.exportButton = qt.QPushButton(_("Export to DICOM database"))
        self.exportButton.toolTip = _("Write the reviewed areas as a DICOM Structured Report into the radiograph's "
                                      "study in Slicer's DICOM database; send it to a PACS from the DICOM module.")
        self.installButton = qt.QPushButton(_("Install highdicom"))
        self.statusLabel = qt.QLabel()
        self.statusLabel.wordWrap = True
        for widget in (self.gspsCheckBox, self.rejectedCheckBox, self.exportButton, self.installButton, self.statusLabel):
            form.addRow(widget)
        self.exportButton.connect("clicked()", self.onExport)
        self.installButton.connect("clicked()", self.onInstall)
        box.connect("contentsCollapsed(bool)", lambda collapsed: None if collapsed else self.updateFromParameterNode())

    def cleanup(self):
        pass  # no observers, timers or place mode to end

    def volume(self):
        parameters = self.parameters()
        return parameters.inputVolume if parameters else None

    def readiness(self):
        volume = self.volume()
        dicomFile = self.logic.dicomFile(volume) if volume is not None else None
        return dicom_export.export_readiness(slicer.mrmlScene, volume, dicomFile, HighdicomStatus()), dicomFile

    def updateFromParameterNode(self):
        readiness, _file = self.readiness()
        self.exportButton.enabled = readiness.enabled
        self.installButton.visible = readiness.install_requirement is not None
        self.statusLabel.text = readiness.message
        self.offerReports()

    def onInstall(self):
        requirement = HighdicomStatus().requirement
        if requirement and slicer.util.confirmOkCancelDisplay(
                _("Install {requirement} into Slicer's Python? It writes and reads the DICOM results.").format(
                    requirement=requirement)):
            with slicer.util.tryWithErrorDisplay(_("highdicom could not be installed."), waitCursor=True):
                slicer.util.pip_install(requirement)
        self.updateFromParameterNode()

    def onExport(self):
        readiness, dicomFile = self.readiness()
        if not readiness.enabled:
            self.statusLabel.text = readiness.message
            return
        with slicer.util.tryWithErrorDisplay(_("Export to DICOM failed."), waitCursor=True):
            folder = tempfile.mkdtemp(prefix="OssificationDetector-DICOM-")
            written = dicom_export.export_volume(slicer.mrmlScene, self.volume(), dicomFile, folder,
                                                 gsps=self.gspsCheckBox.checked,
                                                 include_rejected=self.rejectedCheckBox.checked)
            from DICOMLib import DICOMUtils

            DICOMUtils.importDicom(folder, copyFiles=True)  # into the database's own folder
            shutil.rmtree(folder, ignore_errors=True)
            self.statusLabel.text = _("Written to the DICOM database: {names}").format(
                names=", ".join(os.path.basename(p) for p in written))

    def offerReports(self):
        """Once per volume: when its study in the DICOM database holds reports of it, offer to show them."""
        volume, database = self.volume(), getattr(slicer, "dicomDatabase", None)
        if volume is None or database is None or volume.GetID() in self.offeredVolumes:
            return
        self.offeredVolumes.add(volume.GetID())
        uids = dicom_export.instance_uids(volume)
        if len(uids) != 1:
            return
        study = database.studyForSeries(database.seriesForFile(database.fileForInstance(uids[0])))
        files = [f for series in database.seriesForStudy(study) if database.fieldForSeries("Modality", series) == "SR"
                 for f in database.filesForSeries(series)]
        reports = dicom_export.reports_of_volume(volume, files)
        if reports and slicer.util.confirmYesNoDisplay(
                _("The DICOM database holds {count} ossification report(s) of {name}. Show the latest as ROIs?").format(
                    count=len(reports), name=volume.GetName())):
            with slicer.util.tryWithErrorDisplay(_("The report could not be shown."), waitCursor=True):
                dicom_export.show_report(slicer.mrmlScene, volume, max(reports, key=os.path.getmtime))

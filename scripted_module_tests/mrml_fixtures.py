"""A real vtkMRMLScene outside Slicer (slicer-core), set up the way Slicer sets up its own.

Without an application logic holding the Colors, Markups and Volumes module logics, storage
nodes are not created and ROIs reloaded from a scene file come back with size 0; reading a .mrb
also needs a cache manager and a data IO manager on the scene. Inside Slicer, slicer.mrmlScene
has all of this already, and the same scene cases run on it (OssificationDetectorTest).
"""
from pathlib import Path

import SimpleITK as sitk
import slicer

from OssificationDetectorTesting.scene_cases import SceneHost


def new_scene(work_dir):
    """A vtkMRMLScene with Slicer's logics attached; returns (scene, volumes_logic)."""
    scene = slicer.vtkMRMLScene()
    cache = slicer.vtkCacheManager()
    cache.SetRemoteCacheDirectory(str(work_dir))
    scene.SetCacheManager(cache)
    data_io = slicer.vtkDataIOManager()
    data_io.SetCacheManager(cache)
    scene.SetDataIOManager(data_io)

    application = slicer.vtkSlicerApplicationLogic()
    application.SetMRMLScene(scene)
    logics = {"Colors": slicer.vtkSlicerColorLogic(), "Markups": slicer.vtkSlicerMarkupsLogic(),
              "Volumes": slicer.vtkSlicerVolumesLogic()}
    for name, logic in logics.items():
        logic.SetMRMLApplicationLogic(application)
        logic.SetMRMLScene(scene)
        application.SetModuleLogic(name, logic)
    application.SetColorLogic(logics["Colors"])
    data_io_logic = slicer.vtkDataIOManagerLogic()
    data_io_logic.SetMRMLApplicationLogic(application)
    data_io_logic.SetAndObserveDataIOManager(data_io)
    # VTK objects owned only by Python would be freed at the end of this function.
    scene._keep_alive = (application, data_io_logic, cache, data_io, *logics.values())
    return scene, logics["Volumes"]


def image_file_loader(scene, volumes_logic, work_dir):
    """load_volume(path) for a headless scene.

    Slicer reads PNG through ITK; slicer-core's readers lack ITK's PNG IO, so the file goes
    through SimpleITK (the same ITK geometry: origin 0, spacing 1, LPS identity) into NRRD,
    which Slicer's own volumes logic then reads and converts to RAS.
    """
    def load_volume(path):
        path = Path(path)
        nrrd = Path(work_dir) / (path.stem + ".nrrd")
        sitk.WriteImage(sitk.ReadImage(str(path)), str(nrrd))
        node = volumes_logic.AddArchetypeVolume(str(nrrd), path.stem)
        if node is None:
            raise RuntimeError(f"Slicer's volumes logic could not read {nrrd}")
        return node
    return load_volume


def headless_host(work_dir, detector=None, sample_radiograph=None):
    scene, volumes_logic = new_scene(work_dir)
    return SceneHost(scene=scene, work_dir=Path(work_dir),
                     load_volume=image_file_loader(scene, volumes_logic, work_dir),
                     detector=detector, sample_radiograph=sample_radiograph)

"""Checks of the MRML bridge that run on any vtkMRMLScene.

pytest runs them on a slicer-core scene (scripted_module_tests), and the module's self-test runs
the same functions inside 3D Slicer on slicer.mrmlScene.
"""

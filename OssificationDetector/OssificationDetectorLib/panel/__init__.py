"""Layer 10: the Slicer panel's behaviour without Qt: what is enabled, what a button does to the scene,
the texts, the table rows, the Finetune job's states. The Qt sections in OssificationDetectorGui only
bind widgets to these classes, which take a real vtkMRMLScene and are tested on one."""

"""A row of one of the panel's tables, as the Qt section draws it: cells, the node it stands for, the
class colour of its first cell, and whether it is drawn dimmed (a box hidden at this threshold) or
with a warning colour (a checklist count that is not complete)."""
from dataclasses import dataclass
from typing import Optional, Tuple

from ..core.taxonomy import CLASS_COLORS


@dataclass(frozen=True)
class TableRow:
    cells: Tuple[str, ...]
    node_id: Optional[str] = None
    color: Optional[Tuple[int, int, int]] = None  # 0-255, the class colour shown beside the first cell
    dimmed: bool = False
    warn_column: Optional[int] = None  # a cell to draw in the warning colour


def class_color(label):
    return tuple(int(255 * c) for c in CLASS_COLORS[label])


def nodes_of(scene, node_ids):
    """The nodes of a table's selected rows, in order, leaving out those removed since."""
    nodes = (scene.GetNodeByID(node_id) for node_id in node_ids if node_id)
    return [node for node in nodes if node is not None]


def roi_centre(node):
    """Where the slice views jump when a row is clicked (RAS), or None for a node gone since."""
    if node is None:
        return None
    centre = [0.0, 0.0, 0.0]
    node.GetCenterWorld(centre)
    return tuple(centre)

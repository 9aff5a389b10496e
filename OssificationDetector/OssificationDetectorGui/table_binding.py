"""The panel's tables drawn from the Lib's TableRows (panel/table_rows.py): cells, the node behind each
row (kept in the first cell's UserRole), its class colour, dimmed and warning cells."""
import qt

NODE_ID_ROLE = qt.Qt.UserRole


def setUpTable(table, columns, selectRows):
    table.setColumnCount(len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.horizontalHeader().setSectionResizeMode(qt.QHeaderView.Stretch)
    table.setEditTriggers(qt.QAbstractItemView.NoEditTriggers)
    table.setSelectionBehavior(qt.QAbstractItemView.SelectRows)
    table.setSelectionMode(qt.QAbstractItemView.ExtendedSelection if selectRows else qt.QAbstractItemView.NoSelection)


def fillTable(table, rows):
    table.setRowCount(len(rows))
    for rowIndex, row in enumerate(rows):
        for column, text in enumerate(row.cells):
            item = qt.QTableWidgetItem(text)
            if column == 0 and row.node_id:
                item.setData(NODE_ID_ROLE, row.node_id)
            if column == 0 and row.color:
                item.setData(qt.Qt.DecorationRole, qt.QColor(*row.color))
            if row.dimmed:
                item.setForeground(qt.QBrush(qt.QColor("gray")))
            if column == row.warn_column:
                item.setForeground(qt.QBrush(qt.QColor("darkred")))
            table.setItem(rowIndex, column, item)


def rowNode(scene, table, row):
    """The node of a row, or None (a node removed since)."""
    item = table.item(row, 0)
    return scene.GetNodeByID(item.data(NODE_ID_ROLE) or "") if item is not None else None


def selectedIds(table):
    """The node IDs of the selected rows, top to bottom."""
    rows = sorted({index.row() for index in table.selectionModel().selectedRows()})
    items = (table.item(row, 0) for row in rows)
    return [item.data(NODE_ID_ROLE) for item in items if item is not None]

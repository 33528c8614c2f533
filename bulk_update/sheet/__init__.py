"""The sheet stage: reading CSV/TSV/XLSX into rows of text, turning cell text into
values by the sheet's conventions, the workspace's attribute schema, action cells, and
validation (columns → plan, row → request). Nothing here touches the network.
"""

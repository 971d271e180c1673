"""Warehouse storage: atomic publishing of tables and files, the run lock, the loads manifest."""

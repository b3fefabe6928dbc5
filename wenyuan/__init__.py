"""Wenyuan (文渊): a self-hosted document library and marketplace."""

__version__ = "0.1.0"

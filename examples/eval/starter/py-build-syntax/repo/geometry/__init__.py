from .shapes import area_of

__all__ = ["area_of"]

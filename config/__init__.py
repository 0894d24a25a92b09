"""Typed settings shared by every layer."""

from config.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]

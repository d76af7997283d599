"""Fengqiao (枫桥): from a resident's WeChat message to a signed, delivered mediation agreement."""

__version__ = "0.1.0"

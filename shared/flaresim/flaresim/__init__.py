"""flaresim: a CPython simulator of the Cloudflare Python Workers runtime (never deployed)."""

from flaresim.shims_path import install_shims

install_shims()

__version__ = "0.1.0"

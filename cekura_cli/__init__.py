"""cekura-cli: run Cekura chat-mode agent tests from CI.

The public surface is the ``cekura`` command. Importing this package is kept cheap
(no third-party imports here) so that ``cekura --help`` starts fast.
"""

__version__ = "0.1.0"
__all__ = ["__version__"]

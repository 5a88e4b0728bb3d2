"""simdpar's threadpoolctl controller, registered by ``import simdpar`` when
threadpoolctl (>= 3.5: ``LibController`` and ``register``) is installed.

threadpoolctl finds the loaded extension ``_simdpar*.so`` by its file name,
opens it with ctypes and reads or sets the limit through the C functions
the extension exports (``simdpar_get_num_threads``,
``simdpar_set_num_threads``, ``simdpar_version``), as it does for BLAS and
OpenMP. So ``threadpool_info()`` lists simdpar and ``with
threadpool_limits(1):`` caps its automatic calls (``threads=None``) to one
thread for the block.
"""

import ctypes as _ctypes


def register() -> bool:
    """Registers the controller; False when threadpoolctl is missing or
    older than 3.5 (then nothing happens)."""
    try:
        import threadpoolctl as _tpc
    except ImportError:
        return False
    if not (hasattr(_tpc, "LibController") and hasattr(_tpc, "register")):
        return False

    class SimdparController(_tpc.LibController):
        """simdpar's thread limit as threadpoolctl sees it."""

        user_api = "simdpar"
        internal_api = "simdpar"
        filename_prefixes = ("_simdpar",)
        check_symbols = (
            "simdpar_get_num_threads",
            "simdpar_set_num_threads",
            "simdpar_version",
        )

        def get_num_threads(self):
            get = getattr(self.dynlib, "simdpar_get_num_threads", None)
            return None if get is None else int(get())

        def set_num_threads(self, num_threads):
            set_ = getattr(self.dynlib, "simdpar_set_num_threads", None)
            if set_ is not None:
                set_.argtypes = [_ctypes.c_int]
                set_(int(num_threads))

        def get_version(self):
            ver = getattr(self.dynlib, "simdpar_version", None)
            if ver is None:
                return None
            ver.restype = _ctypes.c_char_p
            return ver().decode()

        def set_additional_attributes(self):
            import simdpar

            self.isa = simdpar.active_isa()
            self.runtime = simdpar._simdpar.thread_settings()["runtime"]

    _tpc.register(SimdparController)
    return True

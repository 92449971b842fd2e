import sys; from __MODULE__ import __FUNC__; sys.exit(__FUNC__())

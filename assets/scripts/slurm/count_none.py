have = None
what = "python " + sys.version.split()[0]

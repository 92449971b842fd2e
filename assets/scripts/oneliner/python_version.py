import sys; print('%d.%d' % sys.version_info[:2])

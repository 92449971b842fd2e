import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '__PORT__') + __PATH__, timeout=4)

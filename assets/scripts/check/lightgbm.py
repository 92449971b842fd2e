import lightgbm as lgb, numpy as np
x = np.random.rand(64, 4); y = (x[:, 0] > 0.5).astype(int)
lgb.LGBMClassifier(n_estimators=4, verbose=-1).fit(x, y).predict(x)
print('lightgbm ' + lgb.__version__ + ': fit ok', flush=True)

import xgboost as xgb, numpy as np
x = np.random.rand(64, 4); y = (x[:, 0] > 0.5).astype(int)
xgb.XGBClassifier(n_estimators=4, device='cuda').fit(x, y).predict(x)
print('xgboost ' + xgb.__version__ + ': cuda fit ok', flush=True)

import sklearn
from sklearn.linear_model import LogisticRegression
m = LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
assert list(m.predict([[0.0], [3.0]])) == [0, 1]
print('scikit-learn ' + sklearn.__version__ + ': fit/predict ok', flush=True)

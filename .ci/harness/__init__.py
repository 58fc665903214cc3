"""The test harness of cloudcert.tencent: what noxfile.py's sessions and .ci/harness/run.py share."""

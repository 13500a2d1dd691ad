print("rh-batch")

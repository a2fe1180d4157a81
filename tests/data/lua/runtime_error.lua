print("partial output")
error("boom from script")

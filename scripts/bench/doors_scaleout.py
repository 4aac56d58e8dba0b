"""placeholder"""
def doors_scaleout_all(args): raise NotImplementedError
def run_doors_scaleout(*a): raise NotImplementedError

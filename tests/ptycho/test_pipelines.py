from ptycho import pipelines


def test_paper_profile_is_the_originals_published_setting():
    o = pipelines.sim_lines_options({"profile": "paper", "scenario": "gs2_custom"})
    published = {"N": 64, "object_size": 392, "n_images": 2000, "n_groups": 1000, "epochs": 60, "M": 20, "buffer": 10}
    assert {k: o[k] for k in published} == published
    assert o["object_seed"] == 42 and o["batch_size"] == 16 and o["gridsize"] == 2


def test_classical_switches_default_to_the_network():
    o = pipelines.sim_lines_options({"profile": "quick"})
    assert o["reconstructor"] == "network" and o["refine_probe"] is False
    assert o["classical_holdout_mode"] == "pixels" and 0 < o["classical_holdout"] < 1

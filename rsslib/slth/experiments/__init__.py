"""The book's experiments on lottery tickets: one module per chapter, above the constructions.

Everything here runs a construction of :mod:`rsslib.slth` on a real or stored network and
measures it (the digits CNN, LeNet-5 on Fashion-MNIST, the lottery-ticket baselines,
Pensia et al.'s MLP, structured pruning). Nothing in the construction layer
(:mod:`rsslib.slth` outside this package) imports from here.
"""

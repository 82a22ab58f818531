// Training tests run libtorch on every core; in parallel they only slow each other down.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

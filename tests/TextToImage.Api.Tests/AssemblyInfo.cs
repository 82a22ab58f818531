// The API tests run real hosts that generate on the CPU; run them one at a time so they do not
// compete for the cores (and share Hangfire's process-wide state in order).
[assembly: CollectionBehavior(DisableTestParallelization = true)]

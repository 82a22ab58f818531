namespace TextToImage.Service.Jobs;

/// <summary>The decisions every job store makes the same way; each store only reads and writes rows.</summary>
static class JobStoreRules
{
    /// <summary>The stages in order, <paramref name="stage"/> replacing what an earlier attempt stored for it.</summary>
    public static IReadOnlyList<StageOutput> WithStage(IReadOnlyList<StageOutput> stages, StageOutput stage) =>
        stages.Where(s => s.StageIndex != stage.StageIndex).Append(stage).OrderBy(s => s.StageIndex).ToList();

    /// <summary>
    /// What a cancel request does to <paramref name="record"/> as read (locked) by the store: a queued
    /// job is canceled now, a running one is asked to stop, a finished one is left alone.
    /// </summary>
    public static CancelOutcome Cancel(GenerationRecord? record, DateTimeOffset now) => record switch
    {
        null => new CancelOutcome(CancelResult.NotFound, null),
        { Status: GenerationStatus.Canceled } => new CancelOutcome(CancelResult.AlreadyCanceled, record),
        { Status: GenerationStatus.Succeeded or GenerationStatus.Failed } => new CancelOutcome(CancelResult.Finished, record),
        { Status: GenerationStatus.Queued } => new CancelOutcome(CancelResult.Canceled,
            record with { Status = GenerationStatus.Canceled, CancelRequested = true, CompletedAt = now }),
        _ => new CancelOutcome(CancelResult.Requested, record with { CancelRequested = true }),
    };

    /// <summary>What a delete request does to <paramref name="record"/> as read (locked) by the store: any job but a running one goes.</summary>
    public static DeleteOutcome Delete(GenerationRecord? record) => record switch
    {
        null => new DeleteOutcome(DeleteResult.NotFound, null),
        { Status: GenerationStatus.Running } => new DeleteOutcome(DeleteResult.Running, record),
        _ => new DeleteOutcome(DeleteResult.Deleted, record),
    };
}

using System.Diagnostics.Metrics;

namespace TextToImage.Testing;

/// <summary>Meters for a class built by hand in a unit test (no host, so no metrics services); nothing listens to them.</summary>
public sealed class TestMeterFactory : IMeterFactory
{
    readonly List<Meter> meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options);
        lock (meters) meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        lock (meters) meters.ForEach(m => m.Dispose());
    }
}

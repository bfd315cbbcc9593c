using Recur.Reservoir;
using Recur.Tasks;

namespace Recur.Tests.Reservoir;

public sealed class EchoStateNetworkTests
{
    private static double[] Sine(int n) => Enumerable.Range(0, n).Select(t => Math.Sin(0.2 * t) + 0.5 * Math.Sin(0.0731 * t)).ToArray();

    private static readonly EsnOptions Small = new() { Units = 150, Density = 0.05, SpectralRadius = 0.9, Leak = 0.5, InputScaling = 0.5, Ridge = 1e-8, Washout = 100, Seed = 3 };

    [Theory]
    [InlineData(EsnMode.Generative)]
    [InlineData(EsnMode.OneStep)]
    public void ShortRunOnSineWaves_PredictsWell(EsnMode mode)
    {
        var settings = new EsnTaskSettings { Train = 1500, Test = 200, Horizon = 50, Mode = mode };
        var r = EsnTask.Run(Sine(EsnTask.SamplesNeeded(settings)), 1, Small, settings);
        Assert.True(r.NrmseTest < 1e-2, $"NRMSE over test {r.NrmseTest}");
        Assert.True(r.NrmseHorizon < 1e-2, $"NRMSE at horizon {r.NrmseHorizon}");
        Assert.Equal(200, r.ValidSteps);
    }

    [Fact]
    public void UntrainedOrWrongInputs_AreRejected()
    {
        var esn = new EchoStateNetwork(1, 1, Small);
        Assert.Throws<InvalidOperationException>(() => esn.Readout(new double[1]));
        Assert.Throws<ArgumentException>(() => esn.Step(new double[2]));
        Assert.Throws<ArgumentException>(() => new EchoStateNetwork(1, 1, Small with { Leak = 0 }));
        Assert.Throws<ArgumentException>(() => new EchoStateNetwork(0, 1, Small));
    }

    [Fact]
    public void EchoStateProperty_DifferentStartsForgetTheirInitialState()
    {
        var a = new EchoStateNetwork(1, 1, Small);
        var b = new EchoStateNetwork(1, 1, Small);
        var u = new double[1];
        // b starts far from zero.
        for (int t = 0; t < 20; t++) { u[0] = 3 * Math.Sin(t); b.Step(u); }
        var s = Sine(400);
        for (int t = 0; t < 400; t++) { u[0] = s[t]; a.Step(u); b.Step(u); }
        double diff = 0;
        for (int i = 0; i < a.Units; i++) diff = Math.Max(diff, Math.Abs(a.State[i] - b.State[i]));
        Assert.True(diff < 1e-8, $"states still differ by {diff}");
    }

    [Fact]
    public void RlsTraining_MatchesRidgeOnOneStepPrediction()
    {
        var opt = Small with { Units = 60, Ridge = 1e-6 };
        var ridge = EsnTask.Run(Sine(1300), 1, opt, new EsnTaskSettings { Train = 1000, Test = 200, Horizon = 10, Mode = EsnMode.OneStep });
        var rls = EsnTask.Run(Sine(1300), 1, opt, new EsnTaskSettings { Train = 1000, Test = 200, Horizon = 10, Mode = EsnMode.OneStep, Readout = EsnReadoutKind.Rls, RlsDelta = 1e-6 });
        Assert.True(rls.NrmseTest < 1e-3, $"rls {rls.NrmseTest}");
        Assert.True(Math.Abs(rls.NrmseTest - ridge.NrmseTest) < 1e-4, $"rls {rls.NrmseTest} ridge {ridge.NrmseTest}");
    }

    [Fact]
    public void OutputFeedbackOnly_NetworkGeneratesSine()
    {
        // Jaeger's architecture: no input, the output is fed back through W_fb.
        var opt = Small with { FeedbackScaling = 1.0, InputScaling = 0, ReadoutInput = false };
        var esn = new EchoStateNetwork(0, 1, opt);
        var s = Enumerable.Range(0, 1700).Select(t => Math.Sin(0.2 * t)).ToArray();
        esn.Train(ReadOnlySpan<double>.Empty, s.AsSpan(1, 1500), 1500);
        esn.SetLastOutput(s.AsSpan(1500, 1));
        esn.Step(ReadOnlySpan<double>.Empty);
        var pred = new double[100];
        esn.Predict(pred, 100);
        double err = 0;
        for (int i = 0; i < 100; i++) err = Math.Max(err, Math.Abs(pred[i] - s[1501 + i]));
        Assert.True(err < 0.05, $"max error {err}");
    }

    [Fact]
    public void Search_KeepsTheBestCandidate_AndLogsAll()
    {
        var settings = new EsnTaskSettings { Train = 1000, Test = 100, Horizon = 20, Search = 4 };
        var r = EsnTask.Run(Sine(EsnTask.SamplesNeeded(settings)), 1, Small with { Units = 60 }, settings);
        Assert.Equal(4, r.Search.Count);
        var best = r.Search.MinBy(c => c.ValidationNrmse)!;
        Assert.Equal(best.SpectralRadius, r.Options.SpectralRadius);
        Assert.Equal(best.Ridge, r.Options.Ridge);
    }
}

public sealed class ForceLearningTests
{
    [Fact]
    public void Force_LearnsInClosedLoop_AndThenGeneratesTheSine()
    {
        // FORCE: from the end of the washout the network is driven by its own output while RLS adapts.
        var s = Enumerable.Range(0, 2200).Select(t => Math.Sin(0.2 * t)).ToArray();
        var esn = new EchoStateNetwork(1, 1, new EsnOptions { Units = 100, Density = 0.1, SpectralRadius = 0.9, Leak = 0.5, InputScaling = 0.5, Washout = 100, Seed = 5 });
        double tail = esn.TrainRls(s.AsSpan(0, 2000), s.AsSpan(1, 2000), 2000, delta: 1e-2, force: true);
        Assert.True(tail < 1e-3, $"closed-loop training error {tail}");
        // Training ended in closed loop; its state tracks the sine. Generate 200 more steps.
        var pred = new double[200];
        esn.Predict(pred, 200);
        double err = 0;
        for (int i = 0; i < 200; i++) err = Math.Max(err, Math.Abs(pred[i] - s[2000 + i]));
        Assert.True(err < 0.05, $"max generative error {err}");
    }
}

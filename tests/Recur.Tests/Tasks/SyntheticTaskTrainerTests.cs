using Recur.Cells;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Tests.Tasks;

public sealed class SyntheticTaskTrainerTests
{
    [Fact]
    public void TinyAddingProblem_TrainsWellBelowTheTrivialBaseline()
    {
        var task = new AddingProblem(8);
        var trainer = new SyntheticTaskTrainer(task, new SyntheticTaskOptions
        {
            Cell = CellType.Lstm, Hidden = 16, LearningRate = 1e-2f, Batch = 32, MaxSteps = 300, Minutes = 0,
            EvalEvery = 50, HeldOut = 200, KeepGoing = true, Seed = 1,
        });
        var r = trainer.Run();
        Assert.False(r.Diverged);
        Assert.Equal(300, r.Steps);
        Assert.Equal(7, r.Curve.Count);   // updates 0, 50, ..., 300
        Assert.True(r.Curve[^1].TestLoss < 0.3 * task.BaselineLoss, $"held-out MSE {r.Curve[^1].TestLoss}, baseline {task.BaselineLoss}");
    }

    [Fact]
    public void ShortTemporalOrder_IsSolved_AndTheStepIsRecorded()
    {
        var trainer = new SyntheticTaskTrainer(new TemporalOrderTask(10), new SyntheticTaskOptions
        {
            Cell = CellType.Gru, Hidden = 24, LearningRate = 1e-2f, Batch = 32, MaxSteps = 1500, Minutes = 0,
            EvalEvery = 25, HeldOut = 200, Seed = 2, GradientFlowEvery = 100,
        });
        var r = trainer.Run();
        Assert.True(r.Solved, $"final accuracy {r.Curve[^1].TestMetric}");
        Assert.Equal("solved", r.StopReason);
        Assert.Equal(r.SolvedStep, r.Steps);
        Assert.True(r.Curve[^1].TestMetric > 0.99);
        Assert.NotEmpty(r.GradientFlow);
        Assert.Equal(0, r.GradientFlow[0].Step);
        Assert.All(r.GradientFlow, s => Assert.Equal(11, s.Log10GradH.Length));
    }

    /// <summary>The remedy for explosion: plain SGD on a ReLU RNN with W_hh = 1.5·I overflows without clipping
    /// (caught, reported, no update applied) and trains on with clipping.</summary>
    [Fact]
    public void ExplodingReluRnn_DivergesWithoutClipping_AndNotWithClipping()
    {
        SyntheticTaskOptions Options(double clip) => new()
        {
            Cell = CellType.RnnRelu, Hidden = 32, Init = InitScheme.Identity, RecurrentScale = 1.5, Optimizer = OptimizerKind.Sgd,
            LearningRate = 1e-2f, ClipNorm = clip, Batch = 16, MaxSteps = 30, Minutes = 0, EvalEvery = 10, HeldOut = 32, KeepGoing = true,
        };
        var unclipped = new SyntheticTaskTrainer(new AddingProblem(100), Options(0)).Run();
        Assert.True(unclipped.Diverged);
        Assert.Equal("diverged", unclipped.StopReason);
        Assert.Matches("(loss|gradient norm) is (NaN|\\+inf)", unclipped.Divergence);
        var clipped = new SyntheticTaskTrainer(new AddingProblem(100), Options(1)).Run();
        Assert.False(clipped.Diverged, clipped.Divergence);
        Assert.Equal(30, clipped.Steps);
        Assert.True(double.IsFinite(clipped.Curve[^1].TestLoss));
    }

    [Fact]
    public void Tbptt_KeepsTheForwardLoss_ButCutsTheGradient()
    {
        var task = new AddingProblem(12);
        var batch = task.Generate(8, new Rng(4));
        SyntheticTaskTrainer Make(int k) => new(task, new SyntheticTaskOptions { Cell = CellType.Lstm, Hidden = 8, Tbptt = k, Batch = 8, MaxSteps = 1, Minutes = 0, HeldOut = 8 });
        var full = Make(0);
        var cut = Make(4);
        double lossFull = full.TrainBatch(batch, out var d1), lossCut = cut.TrainBatch(batch, out var d2);
        Assert.Null(d1);
        Assert.Null(d2);
        Assert.Equal(lossFull, lossCut, 5);   // same weights, same forward: the state is carried across windows
        var gFull = full.Model.Rnn[0]["weight_ih_l0"].Grad.Span.ToArray();
        var gCut = cut.Model.Rnn[0]["weight_ih_l0"].Grad.Span.ToArray();
        Assert.NotEqual(gFull, gCut);   // but only the last window's 4 steps get a gradient
    }

    [Fact]
    public void Options_RejectBadValues()
    {
        Assert.Throws<ArgumentException>(() => new SyntheticTaskOptions { Batch = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SyntheticTaskOptions { ClipNorm = -1 }.Validate());
        Assert.Throws<ArgumentException>(() => new SyntheticTaskOptions { Minutes = 0, MaxSteps = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SyntheticTaskOptions { LearningRate = 0 }.Validate());
        Assert.Throws<ArgumentException>(() => new SyntheticTaskOptions { RecurrentScale = -2 }.Validate());
        Assert.Throws<ArgumentException>(() => new SyntheticTaskTrainer(new AddingProblem(10), new SyntheticTaskOptions { Cell = CellType.Gru, Init = InitScheme.Chrono }));
    }
}

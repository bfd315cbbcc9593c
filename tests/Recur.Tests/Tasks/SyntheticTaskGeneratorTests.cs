using CsCheck;
using Recur.Tasks;
using Recur.Training;

namespace Recur.Tests.Tasks;

public sealed class SyntheticTaskGeneratorTests
{
    [Fact]
    public void Adding_HasTwoMarkersOnePerHalf_AndTheTargetIsTheirSum()
    {
        Gen.Select(Gen.Int[2, 300], Gen.Int[1, 9], Gen.Int[0, 1 << 20]).Sample((T, B, seed) =>
        {
            var task = new AddingProblem(T);
            var batch = task.Generate(B, new Rng((ulong)seed));
            if (batch.Inputs.Length != T * B * 2 || batch.Values!.Length != B || batch.LossFrom != T - 1 || batch.Classes != null) return false;
            for (int b = 0; b < B; b++)
            {
                var marked = Enumerable.Range(0, T).Where(t => batch.Inputs[(t * B + b) * 2 + 1] != 0).ToList();
                if (marked.Count != 2 || marked[0] >= T / 2 || marked[1] < T / 2) return false;
                if (Enumerable.Range(0, T).Any(t => batch.Inputs[(t * B + b) * 2 + 1] is not (0f or 1f))) return false;
                if (Enumerable.Range(0, T).Any(t => batch.Inputs[(t * B + b) * 2] is < 0f or >= 1f)) return false;
                float sum = batch.Inputs[(marked[0] * B + b) * 2] + batch.Inputs[(marked[1] * B + b) * 2];
                if (batch.Values[b] != sum) return false;
            }
            return true;
        }, iter: 100);
    }

    [Fact]
    public void Adding_TrivialPredictorOfOne_ScoresTheBaselineMse()
    {
        var task = new AddingProblem(20);
        var batch = task.Generate(40000, new Rng(3));
        double mse = batch.Values!.Average(y => (y - 1.0) * (y - 1.0));
        Assert.Equal(1.0 / 6.0, task.BaselineLoss, 12);
        Assert.InRange(mse, task.BaselineLoss - 0.005, task.BaselineLoss + 0.005);   // standard error ≈ 0.001
    }

    [Fact]
    public void Copy_ShowsTenSymbolsThenTheDelimiter_AndAsksThemBackAtTheEnd()
    {
        Gen.Select(Gen.Int[1, 150], Gen.Int[1, 6], Gen.Int[0, 1 << 20]).Sample((delay, B, seed) =>
        {
            var task = new CopyMemoryTask(delay);
            int S = delay + 20, I = 10;
            var batch = task.Generate(B, new Rng((ulong)seed));
            if (task.Steps != S || batch.Inputs.Length != S * B * I || batch.Classes!.Length != S * B || batch.LossFrom != 0) return false;
            for (int b = 0; b < B; b++)
            {
                var inputs = Enumerable.Range(0, S).Select(t => Array.IndexOf(batch.Inputs, 1f, (t * B + b) * I, I) - (t * B + b) * I).ToArray();
                if (Enumerable.Range(0, S).Any(t => batch.Inputs.AsSpan((t * B + b) * I, I).ToArray().Sum() != 1f)) return false;   // one-hot
                if (inputs.Take(10).Any(s => s is < 1 or > 8)) return false;
                if (inputs.Count(s => s == CopyMemoryTask.Delimiter) != 1 || inputs[delay + 9] != CopyMemoryTask.Delimiter) return false;
                if (inputs.Skip(10).Count(s => s != CopyMemoryTask.Blank) != 1) return false;
                for (int t = 0; t < S; t++)
                {
                    int want = t >= delay + 10 ? inputs[t - delay - 10] : CopyMemoryTask.Blank;
                    if (batch.Classes[t * B + b] != want) return false;
                }
            }
            return true;
        }, iter: 100);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(200)]
    public void Copy_TrivialPredictor_ScoresTenLog8OverTPlus20(int delay)
    {
        var task = new CopyMemoryTask(delay);
        const int B = 7, C = 9;
        var batch = task.Generate(B, new Rng(1));
        // blank for sure for the first T + 10 steps, uniform over the 8 symbols for the last 10
        var logits = new float[task.Steps * B * C];
        for (int t = 0; t < task.Steps; t++)
            for (int b = 0; b < B; b++)
                for (int c = 0; c < C; c++)
                {
                    bool recall = t >= delay + 10;
                    logits[(t * B + b) * C + c] = recall ? (c == 0 ? -1e4f : 0f) : (c == 0 ? 0f : -1e4f);
                }
        double ce = SoftmaxCrossEntropy.Loss(logits, batch.Classes, C, new float[C]);
        Assert.Equal(10 * Math.Log(8) / (delay + 20), task.BaselineLoss, 12);
        Assert.Equal(task.BaselineLoss, ce, 5);
    }

    [Fact]
    public void TemporalOrder_HasBeginEndAndTwoRelevantSymbolsInTheirRanges_AndTheClassIsTheirOrder()
    {
        Gen.Select(Gen.Int[10, 200], Gen.Int[1, 6], Gen.Int[0, 1 << 20]).Sample((T, B, seed) =>
        {
            var task = new TemporalOrderTask(T);
            var batch = task.Generate(B, new Rng((ulong)seed));
            if (batch.Inputs.Length != T * B * 8 || batch.Classes!.Length != B || batch.LossFrom != T - 1) return false;
            for (int b = 0; b < B; b++)
            {
                var sym = Enumerable.Range(0, T).Select(t => Array.IndexOf(batch.Inputs, 1f, (t * B + b) * 8, 8) - (t * B + b) * 8).ToArray();
                if (sym[0] != TemporalOrderTask.Begin || sym[T - 1] != TemporalOrderTask.End) return false;
                var relevant = Enumerable.Range(0, T).Where(t => sym[t] is TemporalOrderTask.SymbolX or TemporalOrderTask.SymbolY).ToList();
                if (relevant.Count != 2) return false;
                if (relevant[0] < task.FirstRange.Lo || relevant[0] > task.FirstRange.Hi || relevant[1] < task.SecondRange.Lo || relevant[1] > task.SecondRange.Hi) return false;
                if (sym.Count(s => s >= TemporalOrderTask.Begin) != 2) return false;
                int cls = 2 * (sym[relevant[0]] - TemporalOrderTask.SymbolX) + (sym[relevant[1]] - TemporalOrderTask.SymbolX);
                if (batch.Classes[b] != cls) return false;
            }
            return true;
        }, iter: 100);
        var order = new TemporalOrderTask(100);
        Assert.Equal(Math.Log(4), order.BaselineLoss, 12);
        var uniform = new float[4 * 5];
        Assert.Equal(order.BaselineLoss, SoftmaxCrossEntropy.Loss(uniform, order.Generate(5, new Rng(2)).Classes, 4, new float[4]), 6);
    }

    [Fact]
    public void Create_KnowsTheNames_AndRejectsBadInput()
    {
        Assert.IsType<AddingProblem>(SyntheticTask.Create("adding", 10));
        Assert.IsType<CopyMemoryTask>(SyntheticTask.Create("copy", 10));
        Assert.IsType<TemporalOrderTask>(SyntheticTask.Create("temporal-order", 10));
        Assert.Throws<ArgumentException>(() => SyntheticTask.Create("parity3", 10));
        Assert.Throws<ArgumentException>(() => SyntheticTask.Create("adding", 1));
        Assert.Throws<ArgumentException>(() => SyntheticTask.Create("copy", 0));
        Assert.Throws<ArgumentException>(() => SyntheticTask.Create("temporal-order", 9));
    }

    [Fact]
    public void Generators_AreDeterministicPerSeed()
    {
        var a = new CopyMemoryTask(30).Generate(4, new Rng(11));
        var b = new CopyMemoryTask(30).Generate(4, new Rng(11));
        Assert.Equal(a.Inputs, b.Inputs);
        Assert.Equal(a.Classes, b.Classes);
    }
}

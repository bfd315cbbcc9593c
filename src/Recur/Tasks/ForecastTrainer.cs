using System.Diagnostics;
using Recur.Data;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>How a forecaster trains: the tutorial's Adam + MSE, 100 epochs of batches of 32, or a wall-clock budget.</summary>
public sealed record ForecastTrainingOptions
{
    public int Epochs { get; init; } = 100;
    /// <summary>Wall-clock budget in minutes; when set, training runs until it is spent (validation excluded).</summary>
    public double? Minutes { get; init; }
    public int Batch { get; init; } = 32;
    public float LearningRate { get; init; } = 1e-3f;
    /// <summary>constant, or cosine down to <see cref="MinLearningRate"/> at the end of the budget.</summary>
    public ScheduleKind Schedule { get; init; } = ScheduleKind.Constant;
    public float MinLearningRate { get; init; }
    /// <summary>Clip the gradient's global norm (0: off).</summary>
    public double Clip { get; init; } = 1.0;
    /// <summary>Stop after this many epochs without a better validation loss (0: never).</summary>
    public int Patience { get; init; }
    public ulong Seed { get; init; } = 1;

    public void Validate()
    {
        if (Epochs < 1) throw new ArgumentException($"epochs must be at least 1, got {Epochs}");
        if (Minutes is { } m && !(m > 0)) throw new ArgumentException($"minutes must be positive, got {m}");
        if (Batch < 1) throw new ArgumentException($"batch must be at least 1, got {Batch}");
        if (!(Clip >= 0)) throw new ArgumentException($"clip must be ≥ 0, got {Clip}");
        if (Patience < 0) throw new ArgumentException($"patience must be ≥ 0, got {Patience}");
        new LearningRateSchedule(Schedule, LearningRate, MinLearningRate).Validate();
    }
}

/// <summary>One epoch's losses (mean squared error on the scaled target).</summary>
public sealed record ForecastEpoch(int Epoch, long Updates, double TrainLoss, double ValLoss, double Seconds, float LearningRate);

public sealed record ForecastTrainingSummary(int Epochs, long Updates, double Seconds, int BestEpoch, double BestValLoss,
    string StopReason, IReadOnlyList<ForecastEpoch> History);

/// <summary>The loss became NaN or infinite; training stopped (nothing is written).</summary>
public sealed class ForecastDivergedException(string message) : Exception(message);

/// <summary>
/// Trains a <see cref="ForecastModel"/> on a frame's training windows (shuffled each epoch; the split stays
/// chronological), MSE on the last step's outputs against scaled targets, Adam. After each epoch it measures the
/// validation loss and keeps the best weights, which it restores at the end.
/// </summary>
public sealed class ForecastTrainer(ForecastModel model, ForecastFrame frame, ForecastTrainingOptions options)
{
    /// <summary>Mean squared error of the model (dropout off) on the samples with first target times <paramref name="taus"/>.</summary>
    public double Loss(ReadOnlySpan<int> taus)
    {
        if (taus.IsEmpty) return double.NaN;
        int w = frame.Settings.Window, f = frame.InputSize, o = model.Config.Outputs;
        double sum = 0;
        for (int start = 0; start < taus.Length; start += 512)
        {
            var part = taus.Slice(start, Math.Min(512, taus.Length - start));
            int b = part.Length;
            var x = new float[w * b * f];
            var t = new float[b * o];
            frame.Windows(part, x, t);
            var last = model.Network.ForwardLast(x, w, b);
            for (int i = 0; i < b * o; i++) sum += (double)(last[i] - t[i]) * (last[i] - t[i]);
        }
        return sum / (taus.Length * o);
    }

    public ForecastTrainingSummary Run(Action<ForecastEpoch>? onEpoch = null)
    {
        options.Validate();
        var net = model.Network;
        var rng = new Rng(options.Seed ^ 0x5DEECE66DUL);
        var optimizer = Optimizer.Create(net.NamedParameters, new OptimizerOptions(OptimizerKind.Adam));
        var schedule = new LearningRateSchedule(options.Schedule, options.LearningRate, options.MinLearningRate);
        int w = frame.Settings.Window, f = frame.InputSize, o = model.Config.Outputs;
        var order = frame.TrainTargets.ToArray();
        int perEpoch = (order.Length + options.Batch - 1) / options.Batch;
        long totalUpdates = options.Minutes is null ? (long)perEpoch * options.Epochs : long.MaxValue;
        double budget = options.Minutes is { } m ? m * 60 : double.PositiveInfinity;
        int maxEpochs = options.Minutes is null ? options.Epochs : int.MaxValue;

        var history = new List<ForecastEpoch>();
        var best = net.Parameters.Select(p => p.Value.Data.ToArray()).ToArray();
        double bestVal = double.PositiveInfinity;
        int bestEpoch = 0, epoch = 0;
        long updates = 0;
        string reason = "epochs";
        var clock = new Stopwatch();
        float[] x = [], target = [], grad = [];
        while (epoch < maxEpochs)
        {
            epoch++;
            for (int i = order.Length - 1; i > 0; i--)
            {
                int j = rng.NextInt(i + 1);
                (order[i], order[j]) = (order[j], order[i]);
            }
            double sum = 0;
            int seen = 0;
            float lr = options.LearningRate;
            clock.Start();
            for (int start = 0; start < order.Length; start += options.Batch)
            {
                int b = Math.Min(options.Batch, order.Length - start);
                if (x.Length != w * b * f) { x = new float[w * b * f]; target = new float[b * o]; grad = new float[b * o]; }
                frame.Windows(order.AsSpan(start, b), x, target);
                net.ZeroGrad();
                // MSE over the last step's outputs [B, O] (the head runs on that step only).
                var y = net.ForwardLast(x, w, b, training: true, rng: rng);
                double loss = 0;
                for (int i = 0; i < b * o; i++)
                {
                    float e = y[i] - target[i];
                    loss += (double)e * e;
                    grad[i] = 2f * e / (b * o);
                }
                loss /= b * o;
                if (!double.IsFinite(loss))
                    throw new ForecastDivergedException($"training loss became {loss} at epoch {epoch}, update {updates + 1}: try a smaller --lr or scaling");
                net.BackwardLast(grad);
                if (options.Clip > 0) GradientClipping.ClipByGlobalNorm(net.Parameters, options.Clip);
                double progress = options.Minutes is null ? schedule.ProgressBySteps(updates, totalUpdates) : clock.Elapsed.TotalSeconds / budget;
                lr = schedule.Rate(updates, progress);
                optimizer.Step(lr);
                updates++;
                sum += loss * b;
                seen += b;
                if (clock.Elapsed.TotalSeconds >= budget) break;
            }
            clock.Stop();
            double val = Loss(frame.ValTargets);
            if (frame.ValTargets.Length > 0 && !double.IsFinite(val))
                throw new ForecastDivergedException($"validation loss became {val} at epoch {epoch}: try a smaller --lr or scaling");
            var ev = new ForecastEpoch(epoch, updates, sum / seen, val, clock.Elapsed.TotalSeconds, lr);
            history.Add(ev);
            onEpoch?.Invoke(ev);
            double score = frame.ValTargets.Length > 0 ? val : ev.TrainLoss;
            if (score < bestVal)
            {
                bestVal = score;
                bestEpoch = epoch;
                int k = 0;
                foreach (var p in net.Parameters) p.Value.Data.CopyTo(best[k++], 0);
            }
            if (clock.Elapsed.TotalSeconds >= budget) { reason = "time budget"; break; }
            if (options.Patience > 0 && epoch - bestEpoch >= options.Patience) { reason = "patience"; break; }
        }
        int n = 0;
        foreach (var p in net.Parameters) best[n++].CopyTo(p.Value.Data, 0);
        return new ForecastTrainingSummary(epoch, updates, clock.Elapsed.TotalSeconds, bestEpoch, bestVal, reason, history);
    }
}

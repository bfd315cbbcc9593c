using Recur.Data;
using Recur.Training;

namespace Recur.Tasks;

/// <summary>
/// Runs a <see cref="ForecastModel"/> over a <see cref="ForecastFrame"/>: forecasts of y at τ … τ+H−1 for first
/// target times τ (the origin is τ−1), direct (all H outputs at once) or recursive (one step at a time, each
/// forecast fed back as the next input; feature columns keep the origin's values, calendar inputs follow the dates).
/// A one-output model asked for more than one step runs recursively. Monte-Carlo dropout runs the same with dropout on.
/// </summary>
public sealed class ForecastPredictor(ForecastModel model, ForecastFrame frame)
{
    private const int Chunk = 512;

    /// <summary>Forecasts <c>[B, H]</c> in y units. <paramref name="dropoutRng"/> non-null: dropout on (one MC sample).</summary>
    public double[,] Forecast(ReadOnlySpan<int> taus, int horizon, Rng? dropoutRng = null)
    {
        var result = new double[taus.Length, horizon];
        for (int start = 0; start < taus.Length; start += Chunk)
        {
            var part = taus.Slice(start, Math.Min(Chunk, taus.Length - start)).ToArray();
            bool recursive = model.Config.Recursive || (model.Config.Outputs == 1 && horizon > 1);
            var scaled = recursive ? Recursive(part, horizon, dropoutRng) : Direct(part, horizon, dropoutRng);
            for (int b = 0; b < part.Length; b++)
            {
                double lastY = part[b] >= 1 ? frame.Y[part[b] - 1] : double.NaN;
                for (int h = 0; h < horizon; h++)
                    result[start + b, h] = frame.ToValue(lastY, scaled.AsSpan(b * horizon, h + 1));
            }
        }
        return result;
    }

    /// <summary>Monte-Carlo dropout: <paramref name="samples"/> forecasts <c>[S][B, H]</c> with dropout on.</summary>
    public double[][,] MonteCarlo(ReadOnlySpan<int> taus, int horizon, int samples, Rng rng)
    {
        var all = new double[samples][,];
        for (int s = 0; s < samples; s++) all[s] = Forecast(taus, horizon, rng);
        return all;
    }

    // Scaled predictions [B, H] of z_τ … z_{τ+H−1} from the model's H outputs at the last step.
    private double[] Direct(int[] taus, int horizon, Rng? rng)
    {
        int outputs = model.Config.Outputs;
        if (horizon > outputs) throw new ArgumentException($"this direct model forecasts {outputs} steps, {horizon} were asked");
        int w = frame.Settings.Window, b = taus.Length, f = frame.InputSize;
        var x = new float[w * b * f];
        frame.Windows(taus, x, []);
        var last = model.Network.ForwardLast(x, w, b, training: rng is not null, rng: rng);
        var scaled = new double[b * horizon];
        for (int i = 0; i < b; i++)
            for (int h = 0; h < horizon; h++) scaled[i * horizon + h] = last[i * outputs + h];
        return scaled;
    }

    private double[] Recursive(int[] taus, int horizon, Rng? rng)
    {
        int w = frame.Settings.Window, b = taus.Length, f = frame.InputSize, feats = frame.Table.Features.Count;
        var rows = new float[b][];   // per sample: [W + H, F] rows, oldest first
        for (int i = 0; i < b; i++)
        {
            rows[i] = new float[(w + horizon) * f];
            for (int j = 0; j < w; j++) frame.Row(taus[i] - w + j).CopyTo(rows[i].AsSpan(j * f, f));
        }
        var x = new float[w * b * f];
        var scaled = new double[b * horizon];
        var exog = new double[feats];
        int outputs = model.Config.Outputs;
        for (int k = 0; k < horizon; k++)
        {
            for (int j = 0; j < w; j++)
                for (int i = 0; i < b; i++)
                    rows[i].AsSpan((k + j) * f, f).CopyTo(x.AsSpan((j * b + i) * f, f));
            var last = model.Network.ForwardLast(x, w, b, training: rng is not null, rng: rng);
            for (int i = 0; i < b; i++)
            {
                double z = last[i * outputs];
                scaled[i * horizon + k] = z;
                int origin = taus[i] - 1;
                for (int c = 0; c < feats; c++) exog[c] = frame.Table.Features[c][origin];
                frame.WriteRow(taus[i] + k, z, exog, rows[i].AsSpan((w + k) * f, f));
            }
        }
        return scaled;
    }
}

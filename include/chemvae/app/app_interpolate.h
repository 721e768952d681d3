/* app_interpolate.h — the interpolate job: a linear or spherical (slerp) path between the
 * encoder means of two molecules, steps + 1 points t = i/steps, `decodes` decodes per point
 * (greedy, then sampled at `temperature`); the distinct valid molecules in path order (the
 * point where each first appears) with their similarity to both ends, and the latent
 * distance travelled along the path up to each point.
 *
 * The job's parameters are described once in cv_interpolate_params (app_params.h): the
 * command line's options and the Python package's keyword arguments.
 *
 * Two calls: cv_interpolate_prepare encodes the ends and lays out the path without
 * recording anything (so a caller can refuse a bad molecule before it begins a run, and
 * store the canonical ends with it); cv_interpolate decodes the path (preparing first itself
 * when the caller did not).
 *
 * Recorded (CvHooks.db): every decode in `generations` (method "interpolate", step = path
 * index, source "FROM>>TO" in canonical SMILES, z, the head's predictions, similarity to
 * FROM), all points in one transaction. */
#ifndef CHEMVAE_APP_INTERPOLATE_H
#define CHEMVAE_APP_INTERPOLATE_H

#include "chemvae/app/app.h"
#include "chemvae/app/app_model.h"
#include "chemvae/app/app_rows.h"

enum { CV_INTERPOLATE_MAX_STEPS = 100000, CV_INTERPOLATE_MAX_DECODES = 10000 };

typedef struct {
    const char *from, *to; /* SMILES of the two ends */
    int slerp;             /* 1: spherical path, 0: straight line */
    size_t steps;          /* intervals (1..CV_INTERPOLATE_MAX_STEPS): steps + 1 points */
    size_t decodes;        /* per point (1..CV_INTERPOLATE_MAX_DECODES) */
    double temperature;    /* of decodes 2..decodes */
    uint64_t seed;         /* the sampled decodes */
    int beam;              /* the greedy decode as a beam of this width (0 or 1: plain) */
    int rescue;            /* invalid greedy decodes decoded again by a beam (1 = off) */
} CvInterpolateConfig;

#define CV_INTERPOLATE_DEFAULTS                                                                    \
    {                                                                                              \
        .slerp = 1, .steps = 10, .decodes = 1, .temperature = 0.5, .seed = 1, .beam = 1,           \
        .rescue = CV_DEFAULT_RESCUE                                                                \
    }
/* CV_INTERPOLATE_DEFAULTS as data (for callers without the C preprocessor: Python). */
extern const CvInterpolateConfig cv_interpolate_defaults;

/* The job's parameters: from, to, method (linear | slerp: the slerp field), steps, decodes,
 * temperature, beam, rescue, seed (not recorded by cv_params_config: a run stores its
 * seed). */
extern const CvParamTable cv_interpolate_params;

/* Validates c without a model: both ends, steps and decodes in range, temperature >= 0,
 * rescue in range. CV_ERR_INVALID with a message naming the command line's options. */
CvStatus cv_interpolate_check(const CvInterpolateConfig *c, CvError *err);

typedef struct {
    /* cv_interpolate_prepare */
    char *from, *to;  /* canonical SMILES of the ends */
    size_t n_points;  /* steps + 1 */
    float *z;         /* (n_points, Z) the path */
    double *distance; /* (n_points) latent length travelled up to each point */
    /* cv_interpolate */
    LatentUniq uniq;           /* distinct valid molecules in path order (entry.first =
                                * decode index; / decodes = point index) */
    double *sim_from, *sim_to; /* (uniq.n) Tanimoto to each end */
    size_t n_decodes, n_valid;
    int interrupted; /* what CvHooks.interrupted returned, or 0 (then nothing is recorded) */
    int prepared;
} CvInterpolateResult;

/* Checks cfg (cv_interpolate_check), encodes the ends and lays out the path into *res
 * (overwritten). CV_ERR_INVALID for a config out of range or an end the model cannot encode; memory
 * errors. Nothing is recorded. Free *res with cv_interpolate_result_free in either case. */
CvStatus cv_interpolate_prepare(CvModel *m, const CvInterpolateConfig *cfg,
                                CvInterpolateResult *res, CvError *err);

/* Runs the job on model m. *res is zero-initialized, or prepared by cv_interpolate_prepare
 * with the same m and cfg; errors as cv_interpolate_prepare's, then decoding, store and
 * memory errors. Interrupted (CvHooks.interrupted, polled before and after the decoding):
 * CV_OK with res->interrupted set and nothing recorded (the decodes, when made, are in *res).
 * A run in h->db is finished (ok / interrupted) or marked failed. Free *res with
 * cv_interpolate_result_free. */
CvStatus cv_interpolate(CvModel *m, const CvInterpolateConfig *cfg, const CvHooks *h,
                        CvInterpolateResult *res, CvError *err);
void cv_interpolate_result_free(CvInterpolateResult *res);

/* The distinct valid molecules of r in path order on fp (app_rows.h): the path index of
 * their first point, t in [0, 1], the latent length travelled to it, the molecule, its
 * count, Tanimoto to the two ends and its scores. */
#define CV_INTERPOLATE_COLUMNS                                                                     \
    "step,t,distance,smiles,count,sim_from,sim_to,mw,logp,qed,sa,penalized_logp"
void cv_interpolate_write(const CvInterpolateConfig *c, const CvInterpolateResult *r, FILE *fp,
                          CvRowsFormat format);

#endif

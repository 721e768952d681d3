/* chem_internal.h — private to src/chem: the QED and SA-score halves of cv_chem_mol_scores.
 * Both take a molecule unpickled by chem_rd_mol_from_pickle and the descriptors
 * cv_chem_rd_descriptors computed for it; neither keeps a reference to them. */
#ifndef CHEMVAE_CHEM_INTERNAL_H
#define CHEMVAE_CHEM_INTERNAL_H

#include "chem_rdkit.h"
#include "chemvae/core/error.h"

/* QED.qed (mean weights) of `m`. Returns CV_OK and sets *qed, or CV_ERR_CHEM. */
CvStatus cv_chem_qed_compute(const ChemRdMol *m, const ChemRdDescriptors *d, double *qed,
                             CvError *err);

/* sascorer.calculateScore of `m`, in [1, 10]. Returns CV_OK and sets *sa, CV_ERR_CHEM
 * or CV_ERR_NOMEM. */
CvStatus cv_chem_sa_compute(const ChemRdMol *m, const ChemRdDescriptors *d, double *sa,
                            CvError *err);

#endif

/* textstats._speedups: count_words(text) in C. Same result as textstats._pure.count_words. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
count_words(PyObject *self, PyObject *arg)
{
    Py_ssize_t i, n, words = 0;
    int in_word = 0;
    if (!PyUnicode_Check(arg)) {
        PyErr_Format(PyExc_TypeError, "count_words() argument must be str, not %.100s",
                     Py_TYPE(arg)->tp_name);
        return NULL;
    }
    if (PyUnicode_READY(arg) < 0)
        return NULL;
    n = PyUnicode_GET_LENGTH(arg);
    for (i = 0; i < n; i++) {
        /* str.split() splits on exactly what Py_UNICODE_ISSPACE accepts. */
        if (Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(arg, i))) {
            in_word = 0;
        } else if (!in_word) {
            in_word = 1;
            words++;
        }
    }
    return PyLong_FromSsize_t(words);
}

static PyMethodDef methods[] = {
    {"count_words", count_words, METH_O, "Number of whitespace-separated words in a str."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "textstats._speedups", NULL, -1, methods,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    return PyModule_Create(&module);
}
